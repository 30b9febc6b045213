import type { Llama3RopeScaling, RopeOptions } from '@rr/tensor';
import { expect, it } from 'vitest';
import { rope } from './rope.js';
import { type TestGpu, both, cpu, describeGpu, disposeAll, floatTypes, tensorError, testRng, tolerance } from '../../test-support.js';

const smallScaling: Llama3RopeScaling = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 };
const llama32: Llama3RopeScaling = { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };

const cases: { name: string; batch: number; time: number; options: RopeOptions }[] = [
  { name: 'theta 1e4, 2 heads of 8', batch: 2, time: 5, options: { nHeads: 2, headDim: 8, theta: 10000 } },
  { name: 'offset 7, 3 heads of 4', batch: 1, time: 4, options: { nHeads: 3, headDim: 4, theta: 10000, offset: 7 } },
  { name: 'Llama-3 scaling (all bands), offset 50', batch: 2, time: 3, options: { nHeads: 2, headDim: 8, theta: 10000, scaling: smallScaling, offset: 50 } },
  { name: 'Llama-3.2 scaling, 4 heads of 64, offset 20', batch: 1, time: 70, options: { nHeads: 4, headDim: 64, theta: 500000, scaling: llama32, offset: 20 } },
  { name: 'inverse rotation, offset 3', batch: 2, time: 3, options: { nHeads: 2, headDim: 8, theta: 10000, offset: 3, inverse: true } },
  // far positions: a plain f32 angle (pos * freq) would be off by ~1e-3 rad here
  { name: 'positions 100000.., 2 heads of 64', batch: 1, time: 9, options: { nHeads: 2, headDim: 64, theta: 500000, offset: 100000 } },
  {
    name: 'positions 250000.., Llama-3.2 scaling, inverse',
    batch: 2,
    time: 3,
    options: { nHeads: 1, headDim: 128, theta: 500000, scaling: llama32, offset: 250000, inverse: true },
  },
];

async function check(ctx: TestGpu, c: (typeof cases)[number], dtype: 'f32' | 'f16'): Promise<void> {
  const rng = testRng();
  const shape = [c.batch, c.time, c.options.nHeads * c.options.headDim];
  const x = both(ctx, rng.normal(shape.reduce((a, b) => a * b)), shape, dtype);
  const y = { gpu: rope(ctx, x.gpu, c.options), cpu: cpu.rope(x.cpu, c.options) };
  expect(await tensorError(y.gpu, y.cpu), `rope ${c.name} ${dtype} (seed ${rng.seed})`).toBeLessThan(tolerance[dtype]);
  disposeAll(x, y);
}

describeGpu('rope kernel vs the CPU backend', (ctx) => {
  for (const dtype of floatTypes(ctx)) {
    for (const c of cases) it(`${c.name}, ${dtype}`, () => check(ctx, c, dtype));
  }

  it('the inverse rotation undoes the forward', async () => {
    const rng = testRng();
    const options = { nHeads: 2, headDim: 16, theta: 10000, offset: 11 };
    const x = ctx.backend.upload(rng.normal(3 * 5 * 32), [3, 5, 32], 'f32');
    const y = rope(ctx, x, options);
    const back = rope(ctx, y, { ...options, inverse: true });
    expect(await tensorError(back, x), `seed ${rng.seed}`).toBeLessThan(1e-6);
    disposeAll(x, y, back);
  });

  it('shards rows across bindings', async () => {
    const small = ctx.withLimits({ maxStorageBufferBindingSize: 1024, minStorageBufferOffsetAlignment: 256 });
    await check(small, { name: 'sharded', batch: 2, time: 11, options: { nHeads: 2, headDim: 16, theta: 10000, offset: 5 } }, 'f32');
  });
});
