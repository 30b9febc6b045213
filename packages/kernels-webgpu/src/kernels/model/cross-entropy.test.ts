import { expect, it } from 'vitest';
import { crossEntropy, crossEntropyBackward } from './cross-entropy.js';
import { type TestGpu, both, cpu, describeGpu, disposeAll, floatTypes, tensorError, testRng, tolerance } from '../../test-support.js';

interface Case {
  logits: number[];
  ignoreIndex: number;
  /** Fraction of labels replaced by the ignore index. */
  ignored: number;
}

const cases: Case[] = [
  { logits: [2, 4, 7], ignoreIndex: -100, ignored: 0.3 },
  { logits: [6, 5], ignoreIndex: -1, ignored: 0.3 },
  { logits: [10, 1000], ignoreIndex: -100, ignored: 0.2 },
  // several 2048-column chunks, the last one partial
  { logits: [5, 4500], ignoreIndex: -100, ignored: 0.2 },
  // every label ignored: loss 0, gradient 0
  { logits: [3, 9], ignoreIndex: -100, ignored: 1 },
];

async function check(ctx: TestGpu, c: Case, dtype: 'f32' | 'f16'): Promise<void> {
  const rng = testRng();
  const vocab = c.logits.at(-1)!;
  const rowsShape = c.logits.slice(0, -1);
  const rows = rowsShape.reduce((a, b) => a * b, 1);
  const labelValues = rng.integers(rows, vocab).map((l) => (rng.uniform() < c.ignored ? c.ignoreIndex : l));
  const logits = both(ctx, rng.normal(rows * vocab, 2), c.logits, dtype);
  const labels = both(ctx, labelValues, rowsShape, 'i32');
  const dLossValue = 0.5 + rng.uniform();
  const dLoss = both(ctx, Float64Array.of(dLossValue), [], dtype);
  const f = { gpu: crossEntropy(ctx, logits.gpu, labels.gpu, c.ignoreIndex), cpu: cpu.crossEntropy(logits.cpu, labels.cpu, c.ignoreIndex) };
  const d = {
    gpu: crossEntropyBackward(ctx, logits.gpu, labels.gpu, f.gpu.lse, dLoss.gpu, c.ignoreIndex),
    cpu: cpu.crossEntropyBackward(logits.cpu, labels.cpu, f.cpu.lse, dLoss.cpu, c.ignoreIndex),
  };
  const where = `crossEntropy [${c.logits}] ${dtype} (seed ${rng.seed})`;
  expect(f.gpu.loss.shape).toEqual([]);
  expect(f.gpu.lse.shape).toEqual([rows]);
  expect(await tensorError(f.gpu.loss, f.cpu.loss), `${where}: loss`).toBeLessThan(tolerance[dtype]);
  // lse is f32 on the GPU whatever the logits' type: it stays within the f32 bound
  expect(await tensorError(f.gpu.lse, f.cpu.lse), `${where}: lse`).toBeLessThan(tolerance.f32);
  expect(await tensorError(d.gpu, d.cpu), `${where}: dLogits`).toBeLessThan(tolerance[dtype]);
  disposeAll(logits, labels, dLoss, f, d);
}

describeGpu('cross-entropy kernels vs the CPU backend', (ctx) => {
  for (const dtype of floatTypes(ctx)) {
    for (const c of cases) {
      it(`logits [${c.logits}], ignoreIndex ${c.ignoreIndex}, ${c.ignored * 100}% ignored, ${dtype}`, () => check(ctx, c, dtype));
    }
  }

  it('shards the logits rows across bindings', async () => {
    // 32 KiB bindings aligned to 256 bytes: [20, 600] f32 logits (48 KB) take 3 shards of 8 rows
    const small = ctx.withLimits({ maxStorageBufferBindingSize: 32768, minStorageBufferOffsetAlignment: 256 });
    await check(small, { logits: [20, 600], ignoreIndex: -100, ignored: 0.25 }, 'f32');
  });
});
