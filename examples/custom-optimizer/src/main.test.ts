import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { fixturesDir, itWithFixtures } from '@rr/tensor/testing';
import { main } from './main.js';

itWithFixtures('trains a few steps with Lion through runRecipe', ['models/stories260K-hf', 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt'], async () => {
  const out = mkdtempSync(join(tmpdir(), 'rr-lion-'));
  try {
    const losses = await main({ steps: 3, out, data: fixturesDir() });
    expect(losses).toHaveLength(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(existsSync(join(out, 'checkpoints'))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
