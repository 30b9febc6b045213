import { describe, expect, it } from 'vitest';
import { type PlanLimits, planMatmul } from './plan.js';
import { type MatmulProblem, blockExtents, stridedProblem } from './problem.js';

const problem = (m: number, k: number, n: number, transA = false, transB = false, batch = 1, bBatched = false): MatmulProblem =>
  stridedProblem({ batch, m, n, k, transA, transB, bBatched });

const limits = (bindingLimit: number): PlanLimits => ({
  bindingLimit,
  alignment: 64,
  bytesPerElement: 4,
  maxRows: 65535 * 8,
  maxCols: 65535 * 32,
  maxBatch: 65535,
});

describe('planMatmul', () => {
  it('is one block when everything fits', () => {
    expect(planMatmul(problem(64, 64, 64), limits(1 << 20))).toEqual([{ z0: 0, zCount: 1, m0: 0, mCount: 64, n0: 0, nCount: 64, k0: 0, kCount: 64 }]);
  });

  it('splits batches past the dispatch limit', () => {
    const blocks = planMatmul(problem(4, 4, 4, false, false, 100_000, true), limits(2 ** 30));
    expect(blocks.map((b) => b.zCount)).toEqual([65535, 100_000 - 65535]);
  });

  for (const [name, p] of [
    ['LM head (b transposed, 128k x 2048 in miniature)', problem(512, 2048, 128 * 1024, false, true)],
    ['embedding-shaped b [K, N]', problem(64, 32768, 2048)],
    ['transposed a, C of 256 MiB', problem(8192, 256, 8192, true)],
  ] as const) {
    it(`covers every output exactly once and keeps every binding under the limit: ${name}`, () => {
      const limit = 128 * 1024 * 1024;
      const blocks = planMatmul(p, limits(limit));
      expect(blocks.length).toBeGreaterThan(1);
      const cover = new Map<string, number>();
      for (const b of blocks) {
        const e = blockExtents(p, b);
        for (const [first, end] of [e.a, e.b, e.c]) expect((end - Math.floor(first / 64) * 64) * 4).toBeLessThanOrEqual(limit);
        for (const key of [`${b.m0}:${b.n0}:${b.k0}`]) cover.set(key, (cover.get(key) ?? 0) + 1);
      }
      const rows = new Set(blocks.map((b) => `${b.m0}+${b.mCount}`));
      const mTotal = [...rows].reduce((s, r) => s + Number(r.split('+')[1]), 0);
      expect(mTotal).toBe(p.m);
      expect([...cover.values()].every((c) => c === 1)).toBe(true);
      // within one C block, the first k block writes and the later ones accumulate
      const firstK = blocks.filter((b) => b.k0 === 0).length;
      expect(firstK).toBe(new Set(blocks.map((b) => `${b.m0}:${b.n0}`)).size);
    });
  }
});
