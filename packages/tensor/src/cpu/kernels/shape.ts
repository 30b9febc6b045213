import type { HostArray } from '../../dtype.js';
import { like } from './types.js';

type Arr = HostArray;

function make(x: Arr, n: number): Arr {
  if (x instanceof Float32Array || x instanceof Float64Array) return like(x, n);
  return new (x.constructor as new (n: number) => Arr)(n);
}

/** Swaps the last two axes of [..., R, C]. */
export function transpose(x: Arr, shape: readonly number[]): Arr {
  const r = shape[shape.length - 2]!;
  const c = shape[shape.length - 1]!;
  const out = make(x, x.length);
  const plane = r * c;
  for (let o = 0; o < x.length; o += plane) {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[o + j * r + i] = x[o + i * c + j]!;
  }
  return out;
}

/** Concatenates rows of widths `widths` (same leading size `rows`). */
export function concat(parts: readonly Arr[], widths: readonly number[], rows: number): Arr {
  const total = widths.reduce((a, b) => a + b, 0);
  const out = make(parts[0]!, rows * total);
  for (let r = 0; r < rows; r++) {
    let col = r * total;
    parts.forEach((p, i) => {
      const w = widths[i]!;
      out.set(p.subarray(r * w, r * w + w), col);
      col += w;
    });
  }
  return out;
}

export function slice(x: Arr, width: number, start: number, end: number): Arr {
  const rows = width === 0 ? 0 : x.length / width;
  const w = end - start;
  const out = make(x, rows * w);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * width + start, r * width + end), r * w);
  return out;
}

/** dst[outer, start:start+n, inner] = src[outer, :, inner] along `axis`. */
export function writeRange(dst: Arr, dstShape: readonly number[], src: Arr, srcShape: readonly number[], axis: number, start: number): void {
  const outer = dstShape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dstShape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const dstLen = dstShape[axis]!;
  const srcLen = srcShape[axis]!;
  for (let o = 0; o < outer; o++) {
    dst.set(src.subarray(o * srcLen * inner, (o + 1) * srcLen * inner), (o * dstLen + start) * inner);
  }
}
