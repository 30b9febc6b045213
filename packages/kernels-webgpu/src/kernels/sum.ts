import { type Tensor, bytesPerElement } from '@rr/tensor';
import type { GpuContext } from '../context.js';
import type { ShaderSpec, ShaderVariant } from '../kernel.js';
import { declare, memo } from '../wgsl/source.js';
import { chunkLength, forEachChunk, part } from './chunks.js';

const WORKGROUP = 256;
/** Workgroups of the first stage per chunk: enough to fill a GPU, few enough for one second-stage workgroup to finish. */
const GROUPS = 256;

/**
 * Sum of all elements in two stages, accumulating in f32 whatever the storage type:
 * (1) GROUPS workgroups each sum a grid-strided share of x and reduce it as a tree in workgroup
 * memory into one partial; (2) one workgroup reduces the partials the same way. A tree keeps the
 * rounding error growing with log(n), not n.
 */
const reduceSpec = memo(
  (stage: 'partials' | 'final'): ShaderSpec => ({
    name: `sum/${stage}`,
    code: ({ float: F }: ShaderVariant) => {
      const [inType, outType] = stage === 'partials' ? [F, 'f32'] : ['f32', F];
      return `
${declare({ params: [['n', 'u32'], ['out_index', 'u32']], read: [['x', inType]], write: [['y', outType]] })}
var<workgroup> partial: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  let stride = nwg.x * ${WORKGROUP}u;
  for (var i = wid.x * ${WORKGROUP}u + lid; i < p.n; i += stride) { acc += f32(x[i]); }
  partial[lid] = acc;
  for (var half = ${WORKGROUP / 2}u; half > 0u; half >>= 1u) {
    workgroupBarrier();
    if (lid < half) { partial[lid] += partial[lid + half]; }
  }
  if (lid == 0u) { y[p.out_index + wid.x] = ${outType}(partial[0]); }
}`;
    },
  }),
);

export function sum(ctx: GpuContext, x: Tensor): Tensor {
  const out = ctx.output([], x.dtype, { zero: x.size === 0 });
  if (x.size === 0) return out;
  const chunks = Math.ceil(x.size / chunkLength(ctx, x.size, bytesPerElement(x.dtype)));
  // the partials must fit one binding too (a concern only for tiny binding limits)
  const perChunk = Math.max(1, Math.min(GROUPS, Math.floor(ctx.bindingLimit / 4 / chunks)));
  const partials = ctx.output([chunks * perChunk], 'f32', { zero: true });
  let index = 0;
  forEachChunk(ctx, x.size, bytesPerElement(x.dtype), (offset, length) => {
    const groups = Math.min(perChunk, Math.ceil(length / WORKGROUP));
    ctx.dispatch(reduceSpec('partials'), {
      read: [part(x, offset, length)],
      write: [partials],
      params: [
        ['u32', length],
        ['u32', index * perChunk],
      ],
      workgroups: [groups],
    });
    index++;
  });
  ctx.dispatch(reduceSpec('final'), {
    read: [partials],
    write: [out],
    params: [
      ['u32', partials.size],
      ['u32', 0],
    ],
    workgroups: [1],
    variant: { float: x.dtype === 'f16' ? 'f16' : 'f32' },
  });
  partials.dispose();
  return out;
}
