import type { RopeOptions } from '../../backend.js';
import { ropeInverseFrequencies } from '../../ops/rope.js';
import { heapOf } from '../wasm/heap.js';
import { type FloatArray, like } from './types.js';

/**
 * Rotate-half RoPE on x [B, T, H * Dh]; `inverse` rotates by the opposite angle (the backward).
 * The angles' cos and sin ([T, Dh / 2], f64) are computed once per call; the rotation runs in
 * WebAssembly SIMD when x lives in its heap, with the same f64 arithmetic as the loop below.
 */
export function rope(x: FloatArray, shape: readonly number[], o: RopeOptions): FloatArray {
  const [batch, seq] = shape as [number, number, number];
  const { nHeads, headDim } = o;
  const half = headDim / 2;
  const out = like(x, x.length);
  const heap = heapOf(x);
  // [cos | sin] as f64: in the heap for the SIMD kernel (4 floats per angle), else an ordinary array
  const block = heap?.holds(out) ? heap.alloc(4 * seq * half) : undefined;
  const angles = block ? new Float64Array(block.buffer, block.byteOffset, 2 * seq * half) : new Float64Array(2 * seq * half);
  const inv = ropeInverseFrequencies(headDim, o.theta, o.scaling);
  const sign = o.inverse ? -1 : 1;
  const offset = o.offset ?? 0;
  const sinAt = seq * half;
  for (let t = 0; t < seq; t++) {
    for (let i = 0; i < half; i++) {
      const angle = (offset + t) * inv[i]!;
      angles[t * half + i] = Math.cos(angle);
      angles[sinAt + t * half + i] = sign * Math.sin(angle);
    }
  }
  if (block) {
    heap!.rope(x as Float32Array, out as Float32Array, block, batch, seq, nHeads, half);
    heap!.free(block);
    return out;
  }
  for (let t = 0; t < seq; t++) {
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < nHeads; h++) {
        const base = ((b * seq + t) * nHeads + h) * headDim;
        for (let i = 0; i < half; i++) {
          const cos = angles[t * half + i]!;
          const sin = angles[sinAt + t * half + i]!;
          const x1 = x[base + i]!;
          const x2 = x[base + half + i]!;
          out[base + i] = x1 * cos - x2 * sin;
          out[base + half + i] = x2 * cos + x1 * sin;
        }
      }
    }
  }
  return out;
}
