import { type Tensor, grad, memoryStats, ops, requireGrad, scope } from '@rr/tensor';
import { blockWeightInputs, blockWeights, drawInputs, llamaBlock, tensorOps, tinyLlama, uploadInputs } from '@rr/tensor/testing';
import { Rng } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { NO_ADAPTER, gpu, testRng } from './test-support.js';

const be = await gpu();

describe.skipIf(!be)(`buffer pool and command submission${be ? '' : `: skipped, ${NO_ADAPTER}`}`, () => {
  /** Runs `step` three times; returns the pool's allocation count after each. */
  async function allocationsPerStep(step: () => Promise<void>): Promise<number[]> {
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await step();
      counts.push(be!.poolStats().allocations);
    }
    return counts;
  }

  it('a training step (Llama block forward + backward, optimizer update, loss read) allocates nothing after the first', async () => {
    const c = tinyLlama;
    const specs = [{ name: 'x', shape: [2, 4, c.dim], draw: (r: Rng, n: number) => r.fillNormal(new Float64Array(n)) }, ...blockWeightInputs(c)];
    const values = drawInputs(specs, Rng.fromSeed(7));
    const [, ...weights] = uploadInputs(be!, { inputs: specs }, 'f32', values);
    const storagesBefore = memoryStats(be!).storages;
    const step = async (): Promise<void> => {
      const loss = scope(() => {
        // a fresh batch each step, as a data loader would upload it
        const x = be!.upload(values[0]!, specs[0]!.shape, 'f32');
        const params = weights.map((w) => requireGrad(w));
        const loss = ops.mean(ops.square(llamaBlock(tensorOps, x, blockWeights(params), c)));
        const grads = grad(loss, params);
        params.forEach((w, i) => be!.assign(w, ops.sub(w, ops.scale(grads[i]!, 1e-3))));
        return loss;
      });
      expect(Number.isFinite((await loss.read())[0]!)).toBe(true);
      loss.dispose();
    };
    const counts = await allocationsPerStep(step);
    expect(counts[1]).toBe(counts[0]);
    expect(counts[2]).toBe(counts[0]);
    expect(memoryStats(be!).storages).toBe(storagesBefore);
    expect(be!.poolStats().reuses).toBeGreaterThan(0);
    for (const w of weights) w.dispose();
  });

  it('an upload never lands in a buffer that unsubmitted commands still read', async () => {
    // x's buffer is released while a pending kernel reads it; the next upload of the same size
    // must not write into it, or the queue would run the write before that kernel
    const first = Float32Array.from(testRng(3).values(1000));
    const x = be!.upload(first, [1000], 'f32');
    const y = be!.unary('neg', x);
    x.dispose();
    const z = be!.upload(new Float32Array(1000).fill(7), [1000], 'f32');
    const got = await y.read();
    expect(Array.from(got)).toEqual(Array.from(first, (v) => -v));
    expect((await z.read())[0]).toBe(7);
    y.dispose();
    z.dispose();
  });

  it('reads issued together share one submission and see every earlier op', async () => {
    const t: Tensor[] = [1, 2, 3].map((v) => be!.full([5], v, 'f32'));
    const sums = await Promise.all(t.map((x) => be!.sum(x).read()));
    expect(sums.map((s) => s[0])).toEqual([5, 10, 15]);
    for (const x of t) x.dispose();
  });
});
