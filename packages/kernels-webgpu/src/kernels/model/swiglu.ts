import type { Tensor } from '@rr/tensor';
import type { KernelContext } from '../../kernel.js';
import { rowShards, shardOf } from '../shards.js';
import { BUILTINS, WORKGROUP_INDEX, defineKernel, variantOf } from '../wgsl.js';

/**
 * SwiGLU, silu(gate) * up, fused forward and backward: one invocation per element, everything in
 * f32 registers, each input read once. With s = sigmoid(g):
 *   d/dgate = dy * up * s * (1 + g * (1 - s)),   d/dup = dy * g * s.
 */

const WG = 256;

/** For g < -88, exp(-g) overflows (to +inf or the largest f32, WGSL allows either): both give s ~ 0, as they should. */
const SIGMOID = 'fn sigmoid(g: f32) -> f32 { return 1.0 / (1.0 + exp(-g)); }';

const FORWARD = defineKernel(
  'model/swiglu',
  { params: { n: 'u32' }, read: { gate: 'F', up: 'F' }, write: { out: 'F' } },
  () => `
${WORKGROUP_INDEX}
${SIGMOID}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let i = workgroup_index(wid, nwg) * ${WG}u + lid;
  if (i >= p.n) { return; }
  let g = f32(gate[i]);
  out[i] = F(g * sigmoid(g) * f32(up[i]));
}`,
);

const BACKWARD = defineKernel(
  'model/swiglu-backward',
  { params: { n: 'u32' }, read: { gate: 'F', up: 'F', dy: 'F' }, write: { dGate: 'F', dUp: 'F' } },
  () => `
${WORKGROUP_INDEX}
${SIGMOID}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let i = workgroup_index(wid, nwg) * ${WG}u + lid;
  if (i >= p.n) { return; }
  let g = f32(gate[i]);
  let s = sigmoid(g);
  let d = f32(dy[i]);
  dGate[i] = F(d * f32(up[i]) * s * (1.0 + g * (1.0 - s)));
  dUp[i] = F(d * g * s);
}`,
);

/** Elementwise ops shard the flat element range (rows of one element). */
function shards(ctx: KernelContext, what: string, t: Tensor) {
  return rowShards(ctx, what, t.size, [{ rowElements: 1, dtype: t.dtype }]);
}

export function swiglu(ctx: KernelContext, gate: Tensor, up: Tensor): Tensor {
  const out = ctx.output(gate.shape, gate.dtype);
  for (const s of shards(ctx, 'swiglu', gate)) {
    FORWARD.run(ctx, {
      params: { n: s.count },
      read: { gate: shardOf(gate, 1, s), up: shardOf(up, 1, s) },
      write: { out: shardOf(out, 1, s) },
      workgroups: ctx.grid1d(s.count, WG),
      variant: variantOf(gate),
    });
  }
  return out;
}

export function swigluBackward(ctx: KernelContext, gate: Tensor, up: Tensor, dy: Tensor): { dGate: Tensor; dUp: Tensor } {
  const dGate = ctx.output(gate.shape, gate.dtype);
  const dUp = ctx.output(up.shape, up.dtype);
  for (const s of shards(ctx, 'swigluBackward', gate)) {
    BACKWARD.run(ctx, {
      params: { n: s.count },
      read: { gate: shardOf(gate, 1, s), up: shardOf(up, 1, s), dy: shardOf(dy, 1, s) },
      write: { dGate: shardOf(dGate, 1, s), dUp: shardOf(dUp, 1, s) },
      workgroups: ctx.grid1d(s.count, WG),
      variant: variantOf(gate),
    });
  }
  return { dGate, dUp };
}
