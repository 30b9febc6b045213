import type { Tensor } from '@rr/tensor';
import type { KernelContext } from '../kernel.js';
import { defineKernel, memoize, wordType } from './wgsl.js';

const TILE = 16;

/**
 * Swaps the last two axes of [..., R, C]. A 16 x 16 tile goes through workgroup memory so that both
 * the reads of x and the writes of y are contiguous across a row of invocations (the +1 column
 * avoids bank conflicts on GPUs). The batch runs along z, in slices of at most 65535.
 */
const transposeKernel = memoize(
  (t: 'u32' | 'f16') => t,
  (t: 'u32' | 'f16') =>
    defineKernel(
      `transpose/${t}`,
      { params: { rows: 'u32', cols: 'u32', batch0: 'u32' }, read: { x: t }, write: { y: t } },
      () => `
var<workgroup> tile: array<array<${t}, ${TILE + 1}>, ${TILE}>;
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let plane = (p.batch0 + wid.z) * p.rows * p.cols;
  let r = wid.y * ${TILE}u + lid.y;
  let c = wid.x * ${TILE}u + lid.x;
  if (r < p.rows && c < p.cols) { tile[lid.y][lid.x] = x[plane + r * p.cols + c]; }
  workgroupBarrier();
  let outR = wid.x * ${TILE}u + lid.y;
  let outC = wid.y * ${TILE}u + lid.x;
  if (outR < p.cols && outC < p.rows) { y[plane + outR * p.rows + outC] = tile[lid.x][lid.y]; }
}`,
    ),
);

export function transpose(ctx: KernelContext, x: Tensor): Tensor {
  const shape = [...x.shape];
  const [rows, cols] = [shape[shape.length - 2]!, shape[shape.length - 1]!];
  [shape[shape.length - 2], shape[shape.length - 1]] = [cols, rows];
  const y = ctx.output(shape, x.dtype);
  const batch = rows * cols === 0 ? 0 : x.size / (rows * cols);
  const maxZ = ctx.limits.maxComputeWorkgroupsPerDimension;
  const kernel = transposeKernel(wordType(x.dtype));
  for (let b0 = 0; b0 < batch; b0 += maxZ) {
    kernel.run(ctx, {
      params: { rows, cols, batch0: b0 },
      read: { x },
      write: { y },
      workgroups: [Math.ceil(cols / TILE), Math.ceil(rows / TILE), Math.min(maxZ, batch - b0)],
      variant: { float: wordType(x.dtype) === 'f16' ? 'f16' : 'f32' },
    });
  }
  return y;
}
