import { type Tensor, bytesPerElement } from '@rr/tensor';
import type { KernelContext } from '../kernel.js';
import { defineKernel, flatEntry, memoize, wordType } from './wgsl.js';

const WORKGROUP = 256;

/**
 * dst[r * dstStride + dstStart + c] = src[r * srcStride + srcStart + c] for r < rows, c < width:
 * the one data movement behind concat and slice on the last axis and writeRange on any axis (a
 * [outer, len, inner] tensor is [outer, len * inner] rows). A contiguous block becomes a plain
 * buffer copy.
 */
export interface RowCopy {
  rows: number;
  width: number;
  srcStride: number;
  srcStart: number;
  dstStride: number;
  dstStart: number;
}

const copyKernel = memoize(
  (t: 'u32' | 'f16') => t,
  (t: 'u32' | 'f16') =>
    defineKernel(
      `copy-rows/${t}`,
      { params: { n: 'u32', width: 'u32', src_stride: 'u32', src_start: 'u32', dst_stride: 'u32', dst_start: 'u32' }, read: { src: t }, write: { dst: t } },
      () =>
        flatEntry(
          WORKGROUP,
          `  if (i >= p.n) { return; }
  let r = i / p.width;
  let c = i - r * p.width;
  dst[r * p.dst_stride + p.dst_start + c] = src[r * p.src_stride + p.src_start + c];`,
        ),
    ),
);

export function copyRows(ctx: KernelContext, src: Tensor, dst: Tensor, c: RowCopy): void {
  const n = c.rows * c.width;
  if (n === 0) return;
  const bpe = bytesPerElement(dst.dtype);
  const contiguous = c.rows === 1 || (c.width === c.srcStride && c.width === c.dstStride);
  const [from, to, bytes] = [c.srcStart * bpe, c.dstStart * bpe, n * bpe];
  if (contiguous && from % 4 === 0 && to % 4 === 0 && bytes % 4 === 0) {
    ctx.copy(src, from, dst, to, bytes);
    return;
  }
  const word = wordType(dst.dtype);
  copyKernel(word).run(ctx, {
    params: { n, width: c.width, src_stride: c.srcStride, src_start: c.srcStart, dst_stride: c.dstStride, dst_start: c.dstStart },
    read: { src },
    write: { dst },
    workgroups: ctx.grid1d(n, WORKGROUP),
    variant: { float: word === 'f16' ? 'f16' : 'f32' },
  });
}

export function concat(ctx: KernelContext, xs: readonly Tensor[]): Tensor {
  const widths = xs.map((x) => x.shape[x.rank - 1]!);
  const total = widths.reduce((a, b) => a + b, 0);
  const lead = xs[0]!.shape.slice(0, -1);
  const out = ctx.output([...lead, total], xs[0]!.dtype);
  const rows = lead.reduce((a, b) => a * b, 1);
  let start = 0;
  xs.forEach((x, i) => {
    copyRows(ctx, x, out, { rows, width: widths[i]!, srcStride: widths[i]!, srcStart: 0, dstStride: total, dstStart: start });
    start += widths[i]!;
  });
  return out;
}

export function slice(ctx: KernelContext, x: Tensor, start: number, end: number): Tensor {
  const width = x.shape[x.rank - 1]!;
  const out = ctx.output([...x.shape.slice(0, -1), end - start], x.dtype);
  const rows = width === 0 ? 0 : x.size / width;
  copyRows(ctx, x, out, { rows, width: end - start, srcStride: width, srcStart: start, dstStride: end - start, dstStart: 0 });
  return out;
}

export function writeRange(ctx: KernelContext, dst: Tensor, src: Tensor, axis: number, start: number): void {
  const inner = dst.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dst.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const width = src.shape[axis]! * inner;
  copyRows(ctx, src, dst, { rows: outer, width, srcStride: width, srcStart: 0, dstStride: dst.shape[axis]! * inner, dstStart: start * inner });
}
