import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir, itWithFixtures } from '@rr/tensor/testing';
import { main } from './main.js';
import { DoublingSchedule, UniformRecurrenceSampler } from './uniform-sampler.js';

describe('the user-written sampler and schedule', () => {
  it('draw r in [1, 2m - 1] reproducibly, with truncated backprop', () => {
    const s = new UniformRecurrenceSampler(7, 4);
    const draws = Array.from({ length: 2000 }, (_, step) => s.sample(step, 4));
    const rs = draws.map((d) => d.noGrad + d.withGrad);
    expect(Math.min(...rs)).toBe(1);
    expect(Math.max(...rs)).toBe(7);
    expect(rs.reduce((a, b) => a + b, 0) / rs.length).toBeCloseTo(4, 0);
    expect(draws.every((d) => d.withGrad <= 4)).toBe(true);
    expect(new UniformRecurrenceSampler(7, 4).sample(123, 4)).toEqual(draws[123]);
    expect([0, 9, 10, 25, 40].map((step) => new DoublingSchedule(10, 8).at(step))).toEqual([1, 1, 2, 4, 8]);
  });

  itWithFixtures('plug into runRecipe', ['models/stories260K-hf', 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt'], async () => {
    const out = mkdtempSync(join(tmpdir(), 'rr-sampler-'));
    try {
      const draws = await main({ steps: 4, out, data: fixturesDir() });
      expect(draws.map((d) => d.mean)).toEqual([1, 2, 4, 8]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
