import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/backend.js';
import { RRError } from '../errors.js';
import * as ops from '../ops/index.js';
import { scope } from '../scope.js';
import { memoryStats } from '../storage-lifetime.js';
import type { Tensor } from '../tensor.js';
import { detach, grad, isGradEnabled, noGrad, requireGrad } from './tape.js';

/**
 * The tape's contract, on values small enough to differentiate by hand (f64, exact expectations).
 * Op-by-op gradient correctness is the gradcheck's and the conformance suite's job; this file
 * checks the graph mechanics: what is recorded, where gradients stop, how they accumulate, and
 * what is freed.
 */

const be = createCpuBackend();
afterAll(() => be.destroy());

const param = (...values: number[]): Tensor => requireGrad(be.upload(values, [values.length], 'f64'));
const constant = (...values: number[]): Tensor => be.upload(values, [values.length], 'f64');
const read = async (t: Tensor): Promise<number[]> => [...(await t.read())];

/** Gradients of `f` at fresh leaves, read to host, with everything freed afterwards. */
async function gradients(leaves: number[][], f: (...xs: Tensor[]) => Tensor): Promise<number[][]> {
  const grads = scope(() => {
    const xs = leaves.map((v) => param(...v));
    return grad(f(...xs), xs);
  });
  const out = await Promise.all(grads.map(read));
  grads.forEach((g) => g.dispose());
  return out;
}

describe('grad', () => {
  it('differentiates a scalar loss with respect to each leaf', async () => {
    // loss = sum(x * w + x): d/dx = w + 1, d/dw = x
    const [dx, dw] = await gradients(
      [
        [1, 2],
        [3, -4],
      ],
      (x, w) => ops.sum(ops.add(ops.mul(x!, w!), x!)),
    );
    expect(dx).toEqual([4, -3]);
    expect(dw).toEqual([1, 2]);
  });

  it('accumulates the gradient of a tensor used several times', async () => {
    expect(await gradients([[3, -1]], (x) => ops.sum(ops.mul(x!, x!)))).toEqual([[6, -2]]);
    expect(await gradients([[3, -1]], (x) => ops.sum(ops.add(x!, x!)))).toEqual([[2, 2]]);
    // x feeds three consumers at different depths: d/dx sum(x * (x + x) + x) = 4x + 1
    expect(await gradients([[0.5, 2]], (x) => ops.sum(ops.add(ops.mul(x!, ops.add(x!, x!)), x!)))).toEqual([[3, 9]]);
    // a diamond: a = 2x, loss = sum(a * a + a) -> d/dx = 2 (2a + 1) = 8x + 2
    expect(
      await gradients([[1, -1]], (x) => {
        const a = ops.scale(x!, 2);
        return ops.sum(ops.add(ops.mul(a, a), a));
      }),
    ).toEqual([[10, -6]]);
  });

  it('takes a vector-Jacobian product when given dOutput', async () => {
    const r = scope(() => {
      const x = param(1, 2, 3);
      const [g] = grad(ops.square(x), [x], constant(1, 10, 100));
      return g!;
    });
    expect(await read(r)).toEqual([2, 40, 600]);
    r.dispose();
  });

  it('returns zeros of the right shape for a leaf the output does not depend on', async () => {
    const [dx, dUnused] = await gradients(
      [
        [1, 2],
        [5, 6, 7],
      ],
      (x) => ops.sum(ops.square(x!)),
    );
    expect(dx).toEqual([2, 4]);
    expect(dUnused).toEqual([0, 0, 0]);
  });

  it('sends nothing into tensors that do not require a gradient', async () => {
    const r = scope(() => {
      const x = param(2);
      const c = constant(5);
      const y = ops.mul(x, c);
      expect(c.requiresGrad).toBe(false);
      return grad(y, [x, c]);
    });
    expect(await Promise.all(r.map(read))).toEqual([[5], [0]]);
    r.forEach((t) => t.dispose());
  });

  it('refuses a non-scalar output without dOutput, and an output with no graph', () => {
    scope(() => {
      const x = param(1, 2);
      expect(() => grad(ops.square(x), [x])).toThrow(expect.objectContaining({ code: 'GRAD_NON_SCALAR' }));
      expect(() => grad(ops.sum(constant(1, 2)), [x])).toThrow(expect.objectContaining({ code: 'GRAD_NO_GRAPH' }));
    });
  });

  it('frees every intermediate gradient: only the returned ones stay alive', () => {
    scope(() => {
      const x = param(1, 2, 3);
      const loss = ops.sum(ops.exp(ops.mul(ops.square(x), x)));
      const before = memoryStats(be).storages;
      const [g] = grad(loss, [x]);
      expect(memoryStats(be).storages).toBe(before + 1);
      g!.dispose();
      expect(memoryStats(be).storages).toBe(before);
    });
  });

  it('handles a 10,000-op chain without overflowing the stack', async () => {
    // y = x + x + ... (10,001 times): dy/dx = 10001 at every element
    const r = scope(() => {
      const x = param(1, -1);
      let y = x;
      for (let i = 0; i < 10_000; i++) y = ops.add(y, x);
      return grad(ops.sum(y), [x])[0]!;
    });
    expect(await read(r)).toEqual([10001, 10001]);
    r.dispose();
  });
});

describe('noGrad and detach', () => {
  it('noGrad records nothing, even with inputs that require a gradient, and restores recording after', () => {
    scope(() => {
      const x = param(1, 2);
      const y = noGrad(() => {
        expect(isGradEnabled()).toBe(false);
        return ops.mul(ops.square(x), x);
      });
      expect(isGradEnabled()).toBe(true);
      expect(y.requiresGrad).toBe(false);
      expect(y.node).toBeUndefined();
      expect(() => grad(ops.sum(y), [x])).toThrow(expect.objectContaining({ code: 'GRAD_NO_GRAPH' }));
      // restored also when fn throws
      expect(() =>
        noGrad(() => {
          throw new Error('x');
        }),
      ).toThrow('x');
      expect(isGradEnabled()).toBe(true);
    });
  });

  it('detach stops gradients: the detached factor counts as a constant', async () => {
    // loss = sum(detach(x^2) * x): d/dx = x^2 (not 3x^2)
    const [dx] = await gradients([[2, -3]], (x) => ops.sum(ops.mul(detach(ops.square(x!)), x!)));
    expect(dx).toEqual([4, 9]);
  });

  it('detach shares storage with its source and records nothing', async () => {
    scope(() => {
      const x = param(1, 2);
      const before = memoryStats(be).storages;
      const d = detach(x);
      expect(memoryStats(be).storages).toBe(before);
      expect(d.requiresGrad).toBe(false);
      expect(d.node).toBeUndefined();
      expect(d.storage).toBe(x.storage);
    });
  });
});

describe('disposed tensors', () => {
  it('using a disposed tensor raises TENSOR_DISPOSED', async () => {
    const x = constant(1, 2);
    x.dispose();
    const disposedError = expect.objectContaining({ name: 'RRError', code: 'TENSOR_DISPOSED' });
    expect(() => ops.add(x, x)).toThrow(disposedError);
    expect(() => x.read()).toThrow(disposedError);
    expect(() => detach(x)).toThrow(disposedError);
    expect(() => x.view([2])).toThrow(disposedError);
    try {
      ops.neg(x);
    } catch (e) {
      expect(e).toBeInstanceOf(RRError);
      expect((e as Error).message).toMatch(/already disposed/);
    }
  });

  it('backward through a disposed intermediate raises TENSOR_DISPOSED instead of reading freed memory', () => {
    scope(() => {
      const x = param(1, 2);
      const h = ops.square(x);
      const loss = ops.sum(ops.exp(h));
      h.dispose();
      expect(() => grad(loss, [x])).toThrow(expect.objectContaining({ code: 'TENSOR_DISPOSED' }));
    });
  });
});
