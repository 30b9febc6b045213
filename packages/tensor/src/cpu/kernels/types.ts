import { heapOf } from '../wasm/heap.js';

/** The arrays CPU kernels compute on: f32 storage, or f64 for the gradient checks. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A zeroed array of `size` elements stored like `a`: f64 for f64, and for f32 in the same
 * WebAssembly heap as `a` when `a` lives in one (so results feed the SIMD kernels without copies).
 */
export function like(a: FloatArray, size: number): FloatArray {
  if (a instanceof Float64Array) return new Float64Array(size);
  return heapOf(a)?.alloc(size) ?? new Float32Array(size);
}

/** Hands a scratch array from `like` back to its heap (nothing to do for an ordinary array). */
export function discard(x: FloatArray): void {
  if (x instanceof Float32Array) heapOf(x)?.free(x);
}
