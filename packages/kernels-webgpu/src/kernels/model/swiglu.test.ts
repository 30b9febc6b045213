import { expect, it } from 'vitest';
import { swiglu, swigluBackward } from './swiglu.js';
import { type TestGpu, both, cpu, describeGpu, disposeAll, floatTypes, tensorError, testRng, tolerance } from '../../test-support.js';

async function check(ctx: TestGpu, shape: number[], dtype: 'f32' | 'f16'): Promise<void> {
  const rng = testRng();
  const n = shape.reduce((a, b) => a * b);
  // gate spread wide enough to reach both saturated ends of the sigmoid
  const gate = both(ctx, rng.normal(n, 4), shape, dtype);
  const up = both(ctx, rng.normal(n), shape, dtype);
  const dy = both(ctx, rng.normal(n), shape, dtype);
  const y = { gpu: swiglu(ctx, gate.gpu, up.gpu), cpu: cpu.swiglu(gate.cpu, up.cpu) };
  const g = { gpu: swigluBackward(ctx, gate.gpu, up.gpu, dy.gpu), cpu: cpu.swigluBackward(gate.cpu, up.cpu, dy.cpu) };
  const where = `swiglu [${shape}] ${dtype} (seed ${rng.seed})`;
  expect(await tensorError(y.gpu, y.cpu), `${where}: out`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(g.gpu.dGate, g.cpu.dGate), `${where}: dGate`).toBeLessThan(tolerance[dtype]);
  expect(await tensorError(g.gpu.dUp, g.cpu.dUp), `${where}: dUp`).toBeLessThan(tolerance[dtype]);
  disposeAll(gate, up, dy, y, g);
}

describeGpu('swiglu kernels vs the CPU backend', (ctx) => {
  for (const dtype of floatTypes(ctx)) {
    for (const shape of [
      [2, 3, 6],
      [4, 700],
      [3, 1, 2049],
    ]) {
      it(`[${shape}], ${dtype}: forward and backward`, () => check(ctx, shape, dtype));
    }
  }

  it('shards the elements across bindings', async () => {
    await check(ctx.withLimits({ maxStorageBufferBindingSize: 2048, minStorageBufferOffsetAlignment: 256 }), [7, 301], 'f32');
  });
});
