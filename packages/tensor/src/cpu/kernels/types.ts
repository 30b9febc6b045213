/** The arrays CPU kernels compute on: f32 storage, or f64 for the gradient checks. */
export type FloatArray = Float32Array | Float64Array;

export function like(a: FloatArray, size: number): FloatArray {
  return a instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
}
