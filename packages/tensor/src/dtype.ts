import { RRError } from './errors.js';

/**
 * Element types. `f64` exists on the CPU backend only: it is what the finite-difference gradient
 * checks and the reference computations run in. `f16`/`bf16` are storage types (the WebGPU backend
 * stores them natively); host reads always return f32 for them.
 */
export type DType = 'f32' | 'f16' | 'bf16' | 'f64' | 'i32' | 'u32';
export type FloatDType = 'f32' | 'f16' | 'bf16' | 'f64';
export type IntDType = 'i32' | 'u32';

/** What `Tensor.read()` returns for each dtype. */
export type HostArrayOf<D extends DType> = D extends 'f64' ? Float64Array : D extends 'i32' ? Int32Array : D extends 'u32' ? Uint32Array : Float32Array;

export type HostArray = Float32Array | Float64Array | Int32Array | Uint32Array;

const BYTES: Record<DType, number> = { f32: 4, f16: 2, bf16: 2, f64: 8, i32: 4, u32: 4 };

export function bytesPerElement(dtype: DType): number {
  return BYTES[dtype];
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'f32' || dtype === 'f16' || dtype === 'bf16' || dtype === 'f64';
}

export function assertDType(value: unknown, where: string): DType {
  if (typeof value === 'string' && value in BYTES) return value as DType;
  throw new RRError('BAD_DTYPE', `${where}: unknown dtype ${JSON.stringify(value)}; use one of ${Object.keys(BYTES).join(', ')}.`);
}

/** A fresh host array of the type `read()` returns for `dtype`. */
export function allocHost(dtype: DType, size: number): HostArray {
  switch (dtype) {
    case 'f64':
      return new Float64Array(size);
    case 'i32':
      return new Int32Array(size);
    case 'u32':
      return new Uint32Array(size);
    default:
      return new Float32Array(size);
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function assertShape(shape: readonly number[], where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RRError('BAD_SHAPE', `${where}: shape [${shape.join(', ')}] has a dimension that is not a non-negative integer.`);
    }
  }
}
