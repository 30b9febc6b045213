import type { Tensor } from '../tensor.js';
import { record } from '../autograd/tape.js';
import { sameBackend } from './check.js';

/** Sum of all elements, shape []; the gradient broadcasts the incoming scalar back. */
export function sum(x: Tensor): Tensor {
  sameBackend('sum', x);
  return record('sum', x.backend.sum(x), [x], (g) => [broadcastScalar(g, x)]);
}

/** Mean of all elements, shape []. */
export function mean(x: Tensor): Tensor {
  sameBackend('mean', x);
  const n = x.size;
  const total = x.backend.sum(x);
  const out = x.backend.affine(total, 1 / n, 0);
  total.dispose();
  return record('mean', out, [x], (g) => [x.backend.affine(broadcastScalar(g, x), 1 / n, 0)]);
}

function broadcastScalar(g: Tensor, like: Tensor): Tensor {
  const be = like.backend;
  return be.binary('mul', be.full(like.shape, 1, like.dtype), g);
}
