import type { Tensor } from '@rr/tensor';
import type { KernelContext } from '../kernel.js';
import { elementShards, shardOf } from './shards.js';
import { BUILTINS, defineKernel, memoize, variantOf } from './wgsl.js';

const WORKGROUP = 256;
/** Workgroups of the first stage per shard: enough to fill a GPU, few enough for one second-stage workgroup to finish. */
const GROUPS = 256;

/**
 * Sum of all elements in two stages, accumulating in f32 whatever the storage type:
 * (1) GROUPS workgroups each sum a grid-strided share of x and reduce it as a tree in workgroup
 * memory into one partial; (2) one workgroup reduces the partials the same way. A tree keeps the
 * rounding error growing with log(n), not n.
 */
const reduceKernel = memoize(
  (stage: 'partials' | 'final') => stage,
  (stage: 'partials' | 'final') =>
    defineKernel(
      `sum/${stage}`,
      { params: { n: 'u32', out_index: 'u32' }, read: { x: stage === 'partials' ? 'F' : 'f32' }, write: { y: stage === 'partials' ? 'f32' : 'F' } },
      () => `
var<workgroup> partial: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(${BUILTINS}) {
  var acc = 0.0;
  let stride = nwg.x * ${WORKGROUP}u;
  for (var i = wid.x * ${WORKGROUP}u + lid; i < p.n; i += stride) { acc += f32(x[i]); }
  partial[lid] = acc;
  for (var half = ${WORKGROUP / 2}u; half > 0u; half >>= 1u) {
    workgroupBarrier();
    if (lid < half) { partial[lid] += partial[lid + half]; }
  }
  if (lid == 0u) { y[p.out_index + wid.x] = ${stage === 'partials' ? 'f32' : 'F'}(partial[0]); }
}`,
    ),
);

export function sum(ctx: KernelContext, x: Tensor): Tensor {
  const out = ctx.output([], x.dtype, { zero: x.size === 0 });
  if (x.size === 0) return out;
  const shards = elementShards(ctx, 'sum', x.size, [x.dtype]);
  // the partials must fit one binding too (a concern only for tiny binding limits)
  const perShard = Math.max(1, Math.min(GROUPS, Math.floor(ctx.limits.maxStorageBufferBindingSize / 4 / shards.length)));
  const partials = ctx.output([shards.length * perShard], 'f32', { zero: true });
  shards.forEach((s, index) => {
    reduceKernel('partials').run(ctx, {
      params: { n: s.count, out_index: index * perShard },
      read: { x: shardOf(x, 1, s) },
      write: { y: partials },
      workgroups: [Math.min(perShard, Math.ceil(s.count / WORKGROUP))],
      variant: variantOf(x),
    });
  });
  reduceKernel('final').run(ctx, {
    params: { n: partials.size, out_index: 0 },
    read: { x: partials },
    write: { y: out },
    workgroups: [1],
    variant: variantOf(x),
  });
  partials.dispose();
  return out;
}
