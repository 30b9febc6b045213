import type { Tensor } from '@rr/tensor';
import type { KernelContext } from '../../kernel.js';
import { workgroupReduce } from './reduce.js';
import { rowShards, shardOf } from '../shards.js';
import { BUILTINS, WORKGROUP_INDEX, defineKernel, variantOf } from '../wgsl.js';

/**
 * RMSNorm over the last axis, y = x * r * w with r = (mean(x^2) + eps)^-1/2, fused: one workgroup
 * per row reads the row once for the sum of squares (a workgroup reduction) and once to write y.
 * Statistics are f32 whatever the storage type.
 *
 * Backward, with g = dy * w:  dx = r * g - x * r^3 / d * sum(g * x)   (per row, the same shape of
 * kernel), and dw = sum over rows of dy * x * r, a reduction across rows. That one is done without
 * atomics and deterministically: 32-row blocks write partial sums [blocks, d] (one invocation per
 * column, coalesced), then one pass adds the blocks per column in a fixed order.
 */

const WG = 256;
/** Rows per partial sum of dw: enough parallel blocks for a GPU, few enough for a short final pass. */
const ROWS_PER_BLOCK = 32;
const COLUMN_WG = 64;

const sumF32 = workgroupReduce({ name: 'sum_f32', type: 'f32', size: WG, combine: 'a + b' });
const sumVec2 = workgroupReduce({ name: 'sum_vec2', type: 'vec2<f32>', size: WG, combine: 'a + b' });

const FORWARD = defineKernel(
  'model/rmsnorm',
  { params: { rows: 'u32', dim: 'u32', eps: 'f32' }, read: { x: 'F', weight: 'F' }, write: { y: 'F' } },
  () => `
${WORKGROUP_INDEX}
${sumF32}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let row = workgroup_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.dim;
  var ss = 0.0;
  for (var j = lid; j < p.dim; j += ${WG}u) {
    let v = f32(x[base + j]);
    ss = fma(v, v, ss);
  }
  let r = inverseSqrt(sum_f32(ss, lid) / f32(p.dim) + p.eps);
  for (var j = lid; j < p.dim; j += ${WG}u) {
    y[base + j] = F(f32(x[base + j]) * r * f32(weight[j]));
  }
}`,
);

const BACKWARD_ROWS = defineKernel(
  'model/rmsnorm-backward-rows',
  {
    params: { rows: 'u32', dim: 'u32', eps: 'f32', rowStart: 'u32' },
    read: { x: 'F', weight: 'F', dy: 'F' },
    write: { dx: 'F', invRms: 'f32' },
  },
  () => `
${WORKGROUP_INDEX}
${sumVec2}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let row = workgroup_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.dim;
  // (sum x^2, sum g x) in one pass and one reduction
  var acc = vec2<f32>(0.0);
  for (var j = lid; j < p.dim; j += ${WG}u) {
    let xv = f32(x[base + j]);
    let g = f32(dy[base + j]) * f32(weight[j]);
    acc = fma(vec2<f32>(xv, g), vec2<f32>(xv, xv), acc);
  }
  let total = sum_vec2(acc, lid);
  let r = inverseSqrt(total.x / f32(p.dim) + p.eps);
  let c = r * r * r * total.y / f32(p.dim);
  for (var j = lid; j < p.dim; j += ${WG}u) {
    let g = f32(dy[base + j]) * f32(weight[j]);
    dx[base + j] = F(r * g - f32(x[base + j]) * c);
  }
  if (lid == 0u) { invRms[p.rowStart + row] = r; }
}`,
);

const WEIGHT_PARTIALS = defineKernel(
  'model/rmsnorm-backward-weight-partials',
  { params: { rows: 'u32', dim: 'u32', rowStart: 'u32' }, read: { x: 'F', dy: 'F', invRms: 'f32' }, write: { partial: 'f32' } },
  () => `
@compute @workgroup_size(${COLUMN_WG})
fn main(${BUILTINS}) {
  let col = wid.x * ${COLUMN_WG}u + lid;
  if (col >= p.dim) { return; }
  let first = wid.y * ${ROWS_PER_BLOCK}u;
  let last = min(first + ${ROWS_PER_BLOCK}u, p.rows);
  var s = 0.0;
  for (var row = first; row < last; row++) {
    s = fma(f32(dy[row * p.dim + col]) * f32(x[row * p.dim + col]), invRms[p.rowStart + row], s);
  }
  partial[(p.rowStart / ${ROWS_PER_BLOCK}u + wid.y) * p.dim + col] = s;
}`,
);

const WEIGHT_SUM = defineKernel(
  'model/rmsnorm-backward-weight-sum',
  { params: { blocks: 'u32', dim: 'u32' }, read: { partial: 'f32' }, write: { dWeight: 'F' } },
  () => `
@compute @workgroup_size(${COLUMN_WG})
fn main(${BUILTINS}) {
  let col = wid.x * ${COLUMN_WG}u + lid;
  if (col >= p.dim) { return; }
  var s = 0.0;
  for (var b = 0u; b < p.blocks; b++) { s += partial[b * p.dim + col]; }
  dWeight[col] = F(s);
}`,
);

export function rmsnorm(ctx: KernelContext, x: Tensor, weight: Tensor, eps: number): Tensor {
  const dim = weight.size;
  const rows = dim === 0 ? 0 : x.size / dim;
  const y = ctx.output(x.shape, x.dtype);
  const variant = variantOf(x);
  for (const s of rowShards(ctx, 'rmsnorm', rows, [{ rowElements: dim, dtype: x.dtype }])) {
    FORWARD.run(ctx, {
      params: { rows: s.count, dim, eps },
      read: { x: shardOf(x, dim, s), weight },
      write: { y: shardOf(y, dim, s) },
      workgroups: ctx.grid1d(s.count * WG, WG),
      variant,
    });
  }
  return y;
}

export function rmsnormBackward(ctx: KernelContext, x: Tensor, weight: Tensor, dy: Tensor, eps: number): { dx: Tensor; dWeight: Tensor } {
  const dim = weight.size;
  const rows = dim === 0 ? 0 : x.size / dim;
  const variant = variantOf(x);
  const dx = ctx.output(x.shape, x.dtype);
  const dWeight = ctx.output(weight.shape, weight.dtype);
  const blocks = Math.ceil(rows / ROWS_PER_BLOCK);
  const invRms = ctx.output([Math.max(rows, 1)], 'f32');
  const partial = ctx.output([Math.max(blocks, 1), dim], 'f32');
  const operands = [
    { rowElements: dim, dtype: x.dtype },
    { rowElements: dim, dtype: dy.dtype },
  ];
  // shard starts on block boundaries so that every partial block lies inside one shard
  for (const s of rowShards(ctx, 'rmsnormBackward', rows, operands, ROWS_PER_BLOCK)) {
    const xs = shardOf(x, dim, s);
    const dys = shardOf(dy, dim, s);
    BACKWARD_ROWS.run(ctx, {
      params: { rows: s.count, dim, eps, rowStart: s.start },
      read: { x: xs, weight, dy: dys },
      write: { dx: shardOf(dx, dim, s), invRms },
      workgroups: ctx.grid1d(s.count * WG, WG),
      variant,
    });
    WEIGHT_PARTIALS.run(ctx, {
      params: { rows: s.count, dim, rowStart: s.start },
      read: { x: xs, dy: dys, invRms },
      write: { partial },
      workgroups: [Math.ceil(dim / COLUMN_WG), Math.ceil(s.count / ROWS_PER_BLOCK)],
      variant,
    });
  }
  WEIGHT_SUM.run(ctx, {
    params: { blocks, dim },
    read: { partial },
    write: { dWeight },
    workgroups: [Math.ceil(dim / COLUMN_WG)],
    variant: variantOf(weight),
  });
  invRms.dispose();
  partial.dispose();
  return { dx, dWeight };
}
