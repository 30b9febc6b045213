import { type DType, type Tensor, bytesPerElement } from '@rr/tensor';
import type { GpuContext } from '../context.js';
import type { ShaderSpec } from '../kernel.js';
import { declare, flatEntry, memo, wordType } from '../wgsl/source.js';

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

const copySpec = memo((dtype: DType): ShaderSpec => {
  const t = wordType(dtype);
  return {
    name: `copy-rows/${t}`,
    code: `
${declare({
  params: [['n', 'u32'], ['width', 'u32'], ['src_stride', 'u32'], ['src_start', 'u32'], ['dst_stride', 'u32'], ['dst_start', 'u32']],
  read: [['src', t]],
  write: [['dst', t]],
})}
${flatEntry(
  WORKGROUP,
  `  if (i >= p.n) { return; }
  let r = i / p.width;
  let c = i - r * p.width;
  dst[r * p.dst_stride + p.dst_start + c] = src[r * p.src_stride + p.src_start + c];`,
)}`,
  };
});

export function copyRows(ctx: GpuContext, src: Tensor, dst: Tensor, c: RowCopy): void {
  const n = c.rows * c.width;
  if (n === 0) return;
  const bpe = bytesPerElement(dst.dtype);
  const contiguous = c.rows === 1 || (c.width === c.srcStride && c.width === c.dstStride);
  const [from, to, bytes] = [c.srcStart * bpe, c.dstStart * bpe, n * bpe];
  if (contiguous && from % 4 === 0 && to % 4 === 0 && bytes % 4 === 0) {
    ctx.copy(src, from, dst, to, bytes);
    return;
  }
  ctx.dispatch(copySpec(dst.dtype), {
    read: [src],
    write: [dst],
    params: [
      ['u32', n],
      ['u32', c.width],
      ['u32', c.srcStride],
      ['u32', c.srcStart],
      ['u32', c.dstStride],
      ['u32', c.dstStart],
    ],
    workgroups: ctx.grid1d(n, WORKGROUP),
  });
}

export function concat(ctx: GpuContext, xs: readonly Tensor[]): Tensor {
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

export function slice(ctx: GpuContext, x: Tensor, start: number, end: number): Tensor {
  const width = x.shape[x.rank - 1]!;
  const out = ctx.output([...x.shape.slice(0, -1), end - start], x.dtype);
  const rows = width === 0 ? 0 : x.size / width;
  copyRows(ctx, x, out, { rows, width: end - start, srcStride: width, srcStart: start, dstStride: end - start, dstStart: 0 });
  return out;
}

export function writeRange(ctx: GpuContext, dst: Tensor, src: Tensor, axis: number, start: number): void {
  const inner = dst.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dst.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const width = src.shape[axis]! * inner;
  copyRows(ctx, src, dst, { rows: outer, width, srcStride: width, srcStart: 0, dstStride: dst.shape[axis]! * inner, dstStart: start * inner });
}
