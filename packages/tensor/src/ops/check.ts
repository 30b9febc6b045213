import type { Tensor } from '../tensor.js';
import { RRError } from '../errors.js';
import { isFloat } from '../dtype.js';

/** Boundary checks shared by the ops: a failed one names the op, the argument and the shapes. */
export function sameBackend(op: string, ...ts: Tensor[]): void {
  const b = ts[0]!.backend;
  for (const t of ts) {
    t.assertLive(op);
    if (t.backend !== b) {
      throw new RRError('BACKEND_MISMATCH', `${op}: tensors live on different backends (${b.name} and ${t.backend.name}); move them to one backend first.`);
    }
  }
}

export function expectShape(op: string, what: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RRError('SHAPE_MISMATCH', `${op}: ${what} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}].`);
  }
}

export function expectRank(op: string, what: string, t: Tensor, min: number, max = min): void {
  if (t.rank < min || t.rank > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw new RRError('SHAPE_MISMATCH', `${op}: ${what} has shape [${t.shape.join(', ')}] (rank ${t.rank}); expected rank ${want}.`);
  }
}

export function expectFloat(op: string, what: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new RRError('DTYPE_MISMATCH', `${op}: ${what} must be a float tensor, got ${t.dtype}.`);
}

export function expectDType(op: string, what: string, t: Tensor, dtype: string): void {
  if (t.dtype !== dtype) throw new RRError('DTYPE_MISMATCH', `${op}: ${what} must be ${dtype}, got ${t.dtype}.`);
}

export function sameDType(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== ts[0]!.dtype) {
      throw new RRError('DTYPE_MISMATCH', `${op}: mixed dtypes ${ts.map((x) => x.dtype).join(', ')}; cast first.`);
    }
  }
}

export function expectInteger(op: string, what: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RRError('BAD_ARGUMENT', `${op}: ${what} = ${value} must be an integer in [${min}, ${max === Infinity ? '∞' : max}].`);
  }
}
