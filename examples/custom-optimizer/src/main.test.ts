import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { main } from './main.js';

const data = process.env.RR_SHARED_DATA ?? resolve(__dirname, '../../../../shared/data');

it.skipIf(!existsSync(data))('trains a few steps with Lion through runRecipe', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rr-lion-'));
  try {
    const losses = await main({ steps: 3, out, data });
    expect(losses).toHaveLength(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(existsSync(join(out, 'checkpoints'))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
