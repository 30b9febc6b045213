import { type FloatArray, like } from './types.js';

function inverseRms(x: FloatArray, off: number, d: number, eps: number): number {
  let ss = 0;
  for (let j = 0; j < d; j++) ss += x[off + j]! * x[off + j]!;
  return 1 / Math.sqrt(ss / d + eps);
}

export function rmsnorm(x: FloatArray, w: FloatArray, eps: number): FloatArray {
  const d = w.length;
  const out = like(x, x.length);
  for (let off = 0; off < x.length; off += d) {
    const r = inverseRms(x, off, d, eps);
    for (let j = 0; j < d; j++) out[off + j] = x[off + j]! * r * w[j]!;
  }
  return out;
}

/**
 * With y = x * r * w, r = (mean(x^2) + eps)^-1/2:
 * dx = r * (dy * w) - x * r^3 / d * sum(dy * w * x);  dw = sum over rows of dy * x * r.
 */
export function rmsnormBackward(x: FloatArray, w: FloatArray, dy: FloatArray, eps: number): { dx: FloatArray; dw: FloatArray } {
  const d = w.length;
  const dx = like(x, x.length);
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
  const dwOut = like(x, d);
  dwOut.set(dw);
  return { dx, dw: dwOut };
}
