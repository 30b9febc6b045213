import { expect, it } from 'vitest';
import { embedding, embeddingBackward } from './embedding.js';
import { type TestGpu, both, cpu, describeGpu, disposeAll, floatTypes, tensorError, testRng, tolerance } from '../../test-support.js';

interface Case {
  name: string;
  ids: number[];
  vocab: number;
  dim: number;
  /** Ids drawn from [0, distinct): fewer distinct ids than tokens forces repeats. */
  distinct?: number;
}

const cases: Case[] = [
  { name: 'ids [2, 5] into [4, 3], repeated ids', ids: [2, 5], vocab: 4, dim: 3 },
  { name: 'ids [7] into [9, 2]', ids: [7], vocab: 9, dim: 2 },
  { name: 'ids [4, 50] into [300, 40]', ids: [4, 50], vocab: 300, dim: 40 },
  // more tokens than one sort block (512): exercises the global merge stages
  { name: 'ids [3, 700] (2100 tokens, 40 distinct) into [1000, 24]', ids: [3, 700], vocab: 1000, dim: 24, distinct: 40 },
];

async function check(ctx: TestGpu, c: Case, dtype: 'f32' | 'f16'): Promise<void> {
  const rng = testRng();
  const n = c.ids.reduce((a, b) => a * b);
  const ids = both(ctx, rng.integers(n, c.distinct ?? c.vocab), c.ids, 'i32');
  const table = both(ctx, rng.normal(c.vocab * c.dim), [c.vocab, c.dim], dtype);
  const dy = both(ctx, rng.normal(n * c.dim), [...c.ids, c.dim], dtype);
  const y = { gpu: embedding(ctx, ids.gpu, table.gpu), cpu: cpu.embedding(ids.cpu, table.cpu) };
  const g = { gpu: embeddingBackward(ctx, ids.gpu, dy.gpu, c.vocab), cpu: cpu.embeddingBackward(ids.cpu, dy.cpu, c.vocab) };
  const where = `embedding ${c.name} ${dtype} (seed ${rng.seed})`;
  expect(y.gpu.shape).toEqual(y.cpu.shape);
  expect(g.gpu.shape).toEqual(g.cpu.shape);
  expect(await tensorError(y.gpu, y.cpu), `${where}: out`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(g.gpu, g.cpu), `${where}: dTable`).toBeLessThan(tolerance[dtype]);
  disposeAll(ids, table, dy, y, g);
}

describeGpu('embedding kernels vs the CPU backend', (ctx) => {
  for (const dtype of floatTypes(ctx)) {
    for (const c of cases) it(`${c.name}, ${dtype}: forward and backward`, () => check(ctx, c, dtype));
  }

  it('shards the table, the tokens and dTable across bindings', async () => {
    // 12 KiB bindings aligned to 256 bytes: the [300, 40] table and dTable take 5 shards of 72 rows,
    // the 200 tokens (ids at 4 bytes a row force multiples of 64 tokens) 4 shards
    const small = ctx.withLimits({ maxStorageBufferBindingSize: 12288, minStorageBufferOffsetAlignment: 256 });
    await check(small, { name: 'sharded', ids: [4, 50], vocab: 300, dim: 40, distinct: 60 }, 'f32');
  });

  it('the backward is bitwise deterministic', async () => {
    const rng = testRng();
    const ids = ctx.backend.upload(rng.integers(600, 7), [600], 'i32');
    const dy = ctx.backend.upload(rng.normal(600 * 8), [600, 8], 'f32');
    const a = embeddingBackward(ctx, ids, dy, 7);
    const b = embeddingBackward(ctx, ids, dy, 7);
    expect(Array.from(await a.read())).toEqual(Array.from(await b.read()));
    disposeAll(ids, dy, a, b);
  });

  it('ids outside the vocabulary give zero rows forward and no gradient', async () => {
    const ids = ctx.backend.upload([1, -1, 5, 1], [4], 'i32');
    const table = ctx.backend.upload([1, 2, 3, 4, 5, 6], [3, 2], 'f32');
    const y = embedding(ctx, ids, table);
    expect(Array.from(await y.read())).toEqual([3, 4, 0, 0, 0, 0, 3, 4]);
    const dy = ctx.backend.upload([1, 1, 2, 2, 3, 3, 4, 4], [4, 2], 'f32');
    const d = embeddingBackward(ctx, ids, dy, 3);
    expect(Array.from(await d.read())).toEqual([0, 0, 5, 5, 0, 0]);
    disposeAll(ids, table, y, dy, d);
  });
});
