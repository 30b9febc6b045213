import { expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import type { FloatDType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { grad, noGrad, requireGrad } from '../autograd/tape.js';
import * as ops from '../ops/index.js';
import { Rng } from '../random/index.js';
import { scope } from '../scope.js';
import { memoryStats } from '../storage-lifetime.js';
import { tinyLanguageModelCase } from './cases.js';
import { uploadInputs } from './check-case.js';
import { drawInputs, labels } from './inputs.js';
import { tensorOps } from './op-set.js';

/**
 * Storage accounting through `memoryStats(backend)`. Every forward and backward test of the suite
 * already checks that it leaks nothing; these name the two guarantees training relies on:
 * a step inside `scope` gives back all it allocated, and a no-gradient forward of the ops that
 * produce a saved log-sum-exp (attention, cross-entropy) does not keep it.
 */
export function defineMemoryChecks(backend: () => Backend, dtype: FloatDType): void {
  it('a training step (forward + backward) inside scope() releases every storage it allocated', () => {
    const be = backend();
    const c = tinyLanguageModelCase;
    const values = drawInputs(c.inputs, Rng.fromSeed(1));
    const before = memoryStats(be).storages;
    scope(() => {
      const inputs = uploadInputs(be, c, dtype, values);
      const params = inputs.filter((_, i) => !c.inputs[i]!.integer).map((t) => requireGrad(t));
      grad(c.compute(tensorOps, inputs), params);
    });
    expect(memoryStats(be).storages).toBe(before);
  });

  it('attention under noGrad keeps nothing but its output, even with inputs that require gradients', () => {
    const be = backend();
    const rng = Rng.fromSeed(2);
    withLeaves(
      be,
      [
        [2, 3, 8],
        [2, 3, 4],
        [2, 3, 4],
      ],
      dtype,
      rng,
      ([q, k, v]) => {
        const before = memoryStats(be).storages;
        const out = noGrad(() => ops.attention(q!, k!, v!, { nHeads: 2, nKvHeads: 1, headDim: 4 }));
        expect(memoryStats(be).storages).toBe(before + 1);
        expect(out.requiresGrad).toBe(false);
        out.dispose();
      },
    );
  });

  it('cross-entropy under noGrad keeps nothing but its loss', () => {
    const be = backend();
    const rng = Rng.fromSeed(3);
    withLeaves(be, [[6, 5]], dtype, rng, ([logits]) => {
      const y = be.upload(labels(5, -100)(rng, 6, []), [6], 'i32');
      const before = memoryStats(be).storages;
      const loss = noGrad(() => ops.crossEntropy(logits!, y));
      expect(memoryStats(be).storages).toBe(before + 1);
      loss.dispose();
      y.dispose();
    });
  });
}

/** Random leaves that require gradients, alive for `fn` and disposed after it. */
function withLeaves(be: Backend, shapes: number[][], dtype: FloatDType, rng: Rng, fn: (leaves: Tensor[]) => void): void {
  const leaves = shapes.map((s) => requireGrad(be.upload(rng.fillNormal(new Float64Array(s.reduce((a, b) => a * b, 1))), s, dtype)));
  try {
    fn(leaves);
  } finally {
    for (const t of leaves) t.dispose();
  }
}
