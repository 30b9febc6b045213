import type { AttentionOptions } from '@rr/tensor';
import { expect, it } from 'vitest';
import { attention, attentionBackward } from './attention.js';
import { type TestGpu, both, cpu, describeGpu, disposeAll, floatTypes, tensorError, testRng, tolerance } from '../../test-support.js';

interface Case {
  name: string;
  batch: number;
  tq: number;
  s: number;
  options: AttentionOptions;
}

const cases: Case[] = [
  { name: 'MHA, Hq = Hkv = 2, T = S = 5', batch: 2, tq: 5, s: 5, options: { nHeads: 2, nKvHeads: 2, headDim: 4 } },
  { name: 'GQA 4 / 2, T = S = 70, headDim 16', batch: 1, tq: 70, s: 70, options: { nHeads: 4, nKvHeads: 2, headDim: 16 } },
  { name: 'MQA 4 / 1, T = S = 37, headDim 8', batch: 2, tq: 37, s: 37, options: { nHeads: 4, nKvHeads: 1, headDim: 8 } },
  { name: 'KV-cache decode, Tq 1, kvLength 4 of S 6, GQA', batch: 2, tq: 1, s: 6, options: { nHeads: 4, nKvHeads: 2, headDim: 4, kvLength: 4 } },
  { name: 'KV-cache chunk, Tq 3, kvLength 5 of S 7, GQA', batch: 1, tq: 3, s: 7, options: { nHeads: 4, nKvHeads: 2, headDim: 4, kvLength: 5 } },
  { name: 'KV-cache, Tq 5, kvLength 67 of S 80, GQA, headDim 16', batch: 1, tq: 5, s: 80, options: { nHeads: 4, nKvHeads: 2, headDim: 16, kvLength: 67 } },
  { name: 'explicit scale 0.3, Hq 3 / Hkv 1, headDim 2', batch: 1, tq: 4, s: 4, options: { nHeads: 3, nKvHeads: 1, headDim: 2, scale: 0.3 } },
  { name: 'headDim 64 (Llama), T = S = 33, GQA 2 / 1', batch: 1, tq: 33, s: 33, options: { nHeads: 2, nKvHeads: 1, headDim: 64 } },
  { name: 'headDim 20 (not a multiple of 16), T = S = 19', batch: 1, tq: 19, s: 19, options: { nHeads: 2, nKvHeads: 2, headDim: 20 } },
];

async function check(ctx: TestGpu, c: Case, dtype: 'f32' | 'f16'): Promise<void> {
  const rng = testRng();
  const { nHeads, nKvHeads, headDim } = c.options;
  const qShape = [c.batch, c.tq, nHeads * headDim];
  const kvShape = [c.batch, c.s, nKvHeads * headDim];
  const size = (s: number[]) => s.reduce((a, b) => a * b);
  const q = both(ctx, rng.normal(size(qShape)), qShape, dtype);
  const k = both(ctx, rng.normal(size(kvShape)), kvShape, dtype);
  const v = both(ctx, rng.normal(size(kvShape)), kvShape, dtype);
  const dOut = both(ctx, rng.normal(size(qShape)), qShape, dtype);
  const f = { gpu: attention(ctx, q.gpu, k.gpu, v.gpu, c.options), cpu: cpu.attention(q.cpu, k.cpu, v.cpu, c.options) };
  // the backward from each side's own forward (out and lse as that side computed them)
  const g = {
    gpu: attentionBackward(ctx, q.gpu, k.gpu, v.gpu, f.gpu.out, f.gpu.lse, dOut.gpu, c.options),
    cpu: cpu.attentionBackward(q.cpu, k.cpu, v.cpu, f.cpu.out, f.cpu.lse, dOut.cpu, c.options),
  };
  const where = `attention ${c.name} ${dtype} (seed ${rng.seed})`;
  expect(f.gpu.lse.shape).toEqual([c.batch, nHeads, c.tq]);
  expect(await tensorError(f.gpu.out, f.cpu.out), `${where}: out`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(f.gpu.lse, f.cpu.lse), `${where}: lse`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(g.gpu.dq, g.cpu.dq), `${where}: dq`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(g.gpu.dk, g.cpu.dk), `${where}: dk`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(g.gpu.dv, g.cpu.dv), `${where}: dv`).toBeLessThan(tolerance[dtype]);
  disposeAll(q, k, v, dOut, f, g);
}

describeGpu('attention kernels vs the CPU backend', (ctx) => {
  for (const dtype of floatTypes(ctx)) {
    for (const c of cases) it(`${c.name}, ${dtype}: forward and backward`, () => check(ctx, c, dtype));
  }

  // 16 KiB of workgroup memory (WebGPU's default) forces the small tiles: more, partial tiles per head
  it('small tiles (16 KiB of workgroup memory), GQA 4 / 2, T = S = 70, headDim 16', async () => {
    await check(ctx.withLimits({ maxComputeWorkgroupStorageSize: 16384 }), cases[1]!, 'f32');
  });
  it('small tiles, KV cache Tq 5, kvLength 67 of S 80', async () => {
    await check(ctx.withLimits({ maxComputeWorkgroupStorageSize: 16384 }), cases[5]!, 'f32');
  });

  it('reads the owned rows in place when they do not fit in workgroup memory', async () => {
    const c: Case = { name: 'in place', batch: 1, tq: 40, s: 40, options: { nHeads: 4, nKvHeads: 2, headDim: 32 } };
    // 8 KiB: the backward kernels keep only the streamed tiles in workgroup memory
    const medium = ctx.withLimits({ maxComputeWorkgroupStorageSize: 8192 });
    await check(medium, c, 'f32');
    expect(medium.backend.compiledKernels().filter((k) => k.includes('backward') && k.includes('owner-in-place')).length).toBe(2);
    // 4 KiB: the forward too (the backward does not fit at all)
    const small = ctx.withLimits({ maxComputeWorkgroupStorageSize: 4096 });
    const rng = testRng();
    const q = both(small, rng.normal(40 * 128), [1, 40, 128], 'f32');
    const kv = both(small, rng.normal(40 * 64), [1, 40, 64], 'f32');
    const f = { gpu: attention(small, q.gpu, kv.gpu, kv.gpu, c.options), cpu: cpu.attention(q.cpu, kv.cpu, kv.cpu, c.options) };
    expect(small.backend.compiledKernels().some((k) => k.startsWith('model/attention:') && k.includes('owner-in-place'))).toBe(true);
    expect(await tensorError(f.gpu.out, f.cpu.out), `seed ${rng.seed}`).toBeLessThan(tolerance.f32);
    disposeAll(q, kv, f);
  });

  it('shards the batch across bindings', async () => {
    const small = ctx.withLimits({ maxStorageBufferBindingSize: 4096, minStorageBufferOffsetAlignment: 256 });
    await check(small, { name: 'sharded', batch: 3, tq: 9, s: 9, options: { nHeads: 2, nKvHeads: 1, headDim: 16 } }, 'f32');
  });
});
