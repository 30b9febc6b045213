import type { MatmulOptions } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { record } from '../autograd/tape.js';
import { RRError } from '../errors.js';
import { expectFloat, sameBackend, sameDType } from './check.js';

/**
 * Batched matmul with transposed operands, no transposition copies:
 * a [..., M, K] (or [..., K, M] with transA), b [K, N] shared by every batch entry (or [N, K] with
 * transB: a Linear weight) or b [..., K, N] batched like a.
 *
 * Gradient rules, with A = op(a), B = op(b), Y = A B:  dA = dY B^T,  dB = A^T dY; each written as
 * one matmul with the transposes folded into the flags. A shared b accumulates over the batch,
 * which a flattened [batch * M, K] matmul does for free.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const symmetric = options.symmetric ?? false;
  validate(a, b, transA, transB, symmetric);
  const out = a.backend.matmul(a, b, { transA, transB, symmetric });
  return record('matmul', out, [a, b], (dY) => {
    const be = a.backend;
    const shared = b.rank === 2 && a.rank > 2;
    const da = transA ? be.matmul(b, dY, { transA: transB, transB: true }) : be.matmul(dY, b, { transB: !transB });
    let db: Tensor;
    if (shared) {
      // flatten the batch into rows: sum over the batch is part of the product
      const a2 = a.view([-1, a.shape[a.rank - 1]!]);
      const dY2 = dY.view([-1, dY.shape[dY.rank - 1]!]);
      db = transB ? be.matmul(dY2, a2, { transA: true }) : be.matmul(a2, dY2, { transA: true });
    } else {
      db = transB ? be.matmul(dY, a, { transA: true, transB: transA }) : be.matmul(a, dY, { transA: !transA });
    }
    return [da, db];
  });
}

function validate(a: Tensor, b: Tensor, transA: boolean, transB: boolean, symmetric: boolean): void {
  sameBackend('matmul', a, b);
  sameDType('matmul', a, b);
  expectFloat('matmul', 'a', a);
  const fail = (why: string): never => {
    throw new RRError(
      'SHAPE_MISMATCH',
      `matmul: a [${a.shape.join(', ')}]${transA ? ' (transA)' : ''} and b [${b.shape.join(', ')}]${transB ? ' (transB)' : ''}: ${why}.`,
    );
  };
  if (a.rank < 2 || b.rank < 2) fail('both operands need at least 2 dimensions');
  const k = a.shape[a.rank - (transA ? 2 : 1)];
  const kb = b.shape[b.rank - (transB ? 1 : 2)];
  if (k !== kb) fail(`inner dimensions ${k} and ${kb} differ`);
  const m = a.shape[a.rank - (transA ? 1 : 2)];
  const n = b.shape[b.rank - (transB ? 2 : 1)];
  if (symmetric && m !== n) fail(`symmetric needs a square product, this one is ${m} x ${n}`);
  if (b.rank > 2) {
    if (b.rank !== a.rank || b.shape.slice(0, -2).some((d, i) => d !== a.shape[i])) fail('batch dimensions differ');
  } else if (a.rank > 2 && transA) {
    fail('a batched, transposed a with a shared 2-D b is not supported; flatten the batch first');
  }
}
