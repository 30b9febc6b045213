import type { Backend } from './backend.js';
import { type DType, assertShape, sizeOf } from './dtype.js';
import { RRError } from './errors.js';
import type { Tensor } from './tensor.js';

/**
 * The argument checks of the Backend methods that create, convert or overwrite memory (upload,
 * zeros/full, cast, assign, writeRange), written once for every backend: a backend calls them
 * first and then trusts its arguments. `why`, where taken, is the backend's advice on what to store
 * instead, appended to the message.
 */

/** `dtype` is one the backend stores; `why` says what to do instead. */
export function checkStoredDType(backend: Backend, dtype: DType, op: string, why = ''): void {
  if (!backend.dtypes.includes(dtype)) {
    throw new RRError('UNSUPPORTED_DTYPE', `${op}: the ${backend.name} backend stores ${backend.dtypes.join(', ')}; ${dtype} is not one of them${why}.`);
  }
}

/** A new tensor of `shape` and `dtype` (zeros, full): a valid shape, in a dtype the backend stores. */
export function checkAllocation(backend: Backend, shape: readonly number[], dtype: DType, op: string, why = ''): void {
  assertShape(shape, op);
  checkStoredDType(backend, dtype, op, why);
}

export function checkUpload(backend: Backend, data: ArrayLike<number>, shape: readonly number[], dtype: DType, why = ''): void {
  checkAllocation(backend, shape, dtype, 'upload', why);
  if (data.length !== sizeOf(shape)) {
    throw new RRError('SHAPE_MISMATCH', `upload: ${data.length} values do not fill shape [${shape.join(', ')}] (${sizeOf(shape)} elements).`);
  }
}

/** A live tensor, converted to a dtype the backend stores. */
export function checkCast(backend: Backend, x: Tensor, dtype: DType, why = ''): void {
  x.assertLive('cast');
  checkStoredDType(backend, dtype, 'cast', why);
}

export function checkAssign(dst: Tensor, src: Tensor): void {
  dst.assertLive('assign');
  src.assertLive('assign');
  if (dst.size !== src.size || dst.dtype !== src.dtype) {
    throw new RRError('SHAPE_MISMATCH', `assign: source ${src} does not match destination ${dst}.`);
  }
}

export function checkWriteRange(dst: Tensor, src: Tensor, axis: number, start: number): void {
  const ok =
    dst.rank === src.rank &&
    dst.dtype === src.dtype &&
    axis >= 0 &&
    axis < dst.rank &&
    dst.shape.every((d, i) => (i === axis ? start >= 0 && start + src.shape[i]! <= d : d === src.shape[i]));
  if (!ok) throw new RRError('SHAPE_MISMATCH', `writeRange: cannot write ${src} into ${dst} at ${start} along axis ${axis}.`);
}
