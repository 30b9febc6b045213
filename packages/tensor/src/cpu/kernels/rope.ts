import type { RopeOptions } from '../../backend.js';
import { ropeInverseFrequencies } from '../../ops/rope.js';
import { type FloatArray, like } from './types.js';

/** Rotate-half RoPE on x [B, T, H * Dh]; `inverse` rotates by the opposite angle (the backward). */
export function rope(x: FloatArray, shape: readonly number[], o: RopeOptions): FloatArray {
  const [batch, seq] = shape as [number, number, number];
  const { nHeads, headDim } = o;
  const half = headDim / 2;
  const inv = ropeInverseFrequencies(headDim, o.theta, o.scaling);
  const sign = o.inverse ? -1 : 1;
  const offset = o.offset ?? 0;
  const out = like(x, x.length);
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let t = 0; t < seq; t++) {
    for (let i = 0; i < half; i++) {
      const angle = (offset + t) * inv[i]!;
      cos[i] = Math.cos(angle);
      sin[i] = sign * Math.sin(angle);
    }
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < nHeads; h++) {
        const base = ((b * seq + t) * nHeads + h) * headDim;
        for (let i = 0; i < half; i++) {
          const x1 = x[base + i]!;
          const x2 = x[base + half + i]!;
          out[base + i] = x1 * cos[i]! - x2 * sin[i]!;
          out[base + half + i] = x2 * cos[i]! + x1 * sin[i]!;
        }
      }
    }
  }
  return out;
}
