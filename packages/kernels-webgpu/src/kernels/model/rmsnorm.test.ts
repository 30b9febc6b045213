import { memoryStats } from '@rr/tensor';
import { expect, it } from 'vitest';
import { rmsnorm, rmsnormBackward } from './rmsnorm.js';
import { type TestGpu, both, cpu, describeGpu, disposeAll, floatTypes, tensorError, testRng, tolerance } from '../../test-support.js';

const cases = [
  { shape: [2, 3, 8], eps: 1e-5 },
  { shape: [5, 6], eps: 0.5 },
  { shape: [37, 300], eps: 1e-5 },
  { shape: [3, 1000], eps: 1e-6 },
];

async function check(ctx: TestGpu, shape: number[], eps: number, dtype: 'f32' | 'f16'): Promise<void> {
  const rng = testRng();
  const dim = shape.at(-1)!;
  const size = shape.reduce((a, b) => a * b, 1);
  const x = both(ctx, rng.normal(size), shape, dtype);
  const w = both(ctx, rng.normal(dim), [dim], dtype);
  const dy = both(ctx, rng.normal(size), shape, dtype);
  const y = { gpu: rmsnorm(ctx, x.gpu, w.gpu, eps), cpu: cpu.rmsnorm(x.cpu, w.cpu, eps) };
  const g = { gpu: rmsnormBackward(ctx, x.gpu, w.gpu, dy.gpu, eps), cpu: cpu.rmsnormBackward(x.cpu, w.cpu, dy.cpu, eps) };
  const where = `rmsnorm [${shape}] ${dtype} (seed ${rng.seed})`;
  expect(await tensorError(y.gpu, y.cpu), `${where}: y`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(g.gpu.dx, g.cpu.dx), `${where}: dx`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(g.gpu.dWeight, g.cpu.dWeight), `${where}: dWeight`).toBeLessThan(tolerance[dtype]);
  disposeAll(x, w, dy, y, g);
}

describeGpu('rmsnorm kernels vs the CPU backend', (ctx) => {
  for (const dtype of floatTypes(ctx)) {
    for (const { shape, eps } of cases) {
      it(`[${shape}], eps ${eps}, ${dtype}: forward and backward`, () => check(ctx, shape, eps, dtype));
    }
  }

  it('shards rows across bindings when a tensor exceeds maxStorageBufferBindingSize', async () => {
    // 4 KiB bindings: 100 rows of 24 f32 (9.6 KB) take 3 shards; starts on 32-row blocks for dWeight
    const small = ctx.withLimits({ maxStorageBufferBindingSize: 4096, minStorageBufferOffsetAlignment: 256 });
    await check(small, [100, 24], 1e-5, 'f32');
  });

  it('leaves no scratch tensors alive', async () => {
    const before = memoryStats(ctx.backend).storages;
    await check(ctx, [4, 16], 1e-5, 'f32');
    expect(memoryStats(ctx.backend).storages).toBe(before);
  });
});
