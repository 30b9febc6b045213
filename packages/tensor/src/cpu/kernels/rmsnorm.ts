import { heapOf } from '../wasm/heap.js';
import { type FloatArray, like } from './types.js';

function inverseRms(x: FloatArray, off: number, d: number, eps: number): number {
  let ss = 0;
  for (let j = 0; j < d; j++) ss += x[off + j]! * x[off + j]!;
  return 1 / Math.sqrt(ss / d + eps);
}

export function rmsnorm(x: FloatArray, w: FloatArray, eps: number): FloatArray {
  const d = w.length;
  const out = like(x, x.length);
  const heap = heapOf(x);
  if (heap?.holds(w, out)) {
    heap.rmsnorm(x as Float32Array, w as Float32Array, out as Float32Array, eps);
    return out;
  }
  for (let off = 0; off < x.length; off += d) {
    const r = inverseRms(x, off, d, eps);
    for (let j = 0; j < d; j++) out[off + j] = x[off + j]! * r * w[j]!;
  }
  return out;
}

/**
 * With y = x * r * w, r = (mean(x^2) + eps)^-1/2:
 * dx = r * (dy * w) - x * r^3 / d * sum(dy * w * x);  dw = sum over rows of dy * x * r.
 * In WebAssembly SIMD when the operands live in its heap (row sums in f64 either way).
 */
export function rmsnormBackward(x: FloatArray, w: FloatArray, dy: FloatArray, eps: number): { dx: FloatArray; dw: FloatArray } {
  const d = w.length;
  const dx = like(x, x.length);
  const dwOut = like(x, d);
  const heap = heapOf(x);
  if (heap?.holds(w, dy, dx, dwOut)) {
    heap.rmsnormBackward(x as Float32Array, w as Float32Array, dy as Float32Array, dx as Float32Array, dwOut as Float32Array, eps);
    return { dx, dw: dwOut };
  }
  const dw = new Float64Array(d);
  for (let off = 0; off < x.length; off += d) {
    const r = inverseRms(x, off, d, eps);
    let dot = 0;
    for (let j = 0; j < d; j++) dot += dy[off + j]! * w[j]! * x[off + j]!;
    const c = (r * r * r * dot) / d;
    for (let j = 0; j < d; j++) {
      dx[off + j] = r * dy[off + j]! * w[j]! - x[off + j]! * c;
      dw[j] += dy[off + j]! * x[off + j]! * r;
    }
  }
  dwOut.set(dw);
  return { dx, dw: dwOut };
}
