import { noGrad } from './autograd/tape.js';
import type { DType } from './dtype.js';
import * as ops from './ops/index.js';
import { sameBackend } from './ops/check.js';
import type { Tensor } from './tensor.js';

/**
 * Tensor ops for code that runs beside the differentiated graph: optimizers, gradient clipping,
 * samplers. Each is the op of `ops` with the same checks, run without recording: parameters
 * require gradients, so `ops` would tape every update an optimizer makes to them. Added to those,
 * what only such code needs: `assign` (in place), `zerosLike`, `fullLike`, `clone`.
 * Results are ordinary tensors: dispose them, or create them inside a `scope`.
 */
const untaped =
  <A extends unknown[]>(op: (...args: A) => Tensor) =>
  (...args: A): Tensor =>
    noGrad(() => op(...args));

export const add = untaped(ops.add);
export const sub = untaped(ops.sub);
export const mul = untaped(ops.mul);
export const div = untaped(ops.div);
export const maximum = untaped(ops.maximum);
export const minimum = untaped(ops.minimum);
export const affine = untaped(ops.affine);
export const scale = untaped(ops.scale);
export const neg = untaped(ops.neg);
export const abs = untaped(ops.abs);
export const sign = untaped(ops.sign);
export const sqrt = untaped(ops.sqrt);
export const rsqrt = untaped(ops.rsqrt);
export const square = untaped(ops.square);
export const exp = untaped(ops.exp);
export const log = untaped(ops.log);
export const reciprocal = untaped(ops.reciprocal);
export const lerp = untaped(ops.lerp);
export const sum = untaped(ops.sum);
export const matmul = untaped(ops.matmul);
export const transpose = untaped(ops.transpose);

/** dst <- src in place (same size and dtype): how an optimizer updates a parameter the model keeps using. */
export function assign(dst: Tensor, src: Tensor): void {
  sameBackend('assign', dst, src);
  dst.backend.assign(dst, src);
}

/** A tensor of `value`s with the shape, backend and (by default) dtype of `like`. */
export function fullLike(like: Tensor, value: number, dtype: DType = like.dtype): Tensor {
  sameBackend('fullLike', like);
  return like.backend.full(like.shape, value, dtype);
}

export function zerosLike(like: Tensor, dtype: DType = like.dtype): Tensor {
  sameBackend('zerosLike', like);
  return like.backend.zeros(like.shape, dtype);
}

/** A copy of `t` in new memory (state that must outlive the tensor it was read from). */
export function clone(t: Tensor): Tensor {
  const copy = zerosLike(t);
  assign(copy, t);
  return copy;
}
