import { type RopeOptions, type Tensor, ropeInverseFrequencies } from '@rr/tensor';
import type { KernelContext } from '../../kernel.js';
import { rowShards, shardOf } from '../shards.js';
import { BUILTINS, WORKGROUP_INDEX, defineKernel, f32Literal, memoize, variantOf } from '../wgsl.js';

/**
 * Rotary position embedding, Hugging Face rotate-half layout, on x [B, T, H * Dh]: element i of a
 * head pairs with element i + Dh/2. One invocation per pair. The backward is the same kernel with
 * `inverse` (rotation by minus the angle; the rotation is orthogonal).
 *
 * Frequencies come from `ropeInverseFrequencies` (the one definition every backend shares,
 * Llama-3 scaling included), computed on the host in f64 and baked into the shader: a model has
 * one RoPE configuration, so that is one pipeline and no buffer to upload.
 *
 * Angles are exact to f32 rounding at every position up to 2^18, not just near 0. The plain f32
 * angle pos * freq has an absolute error of pos * 6e-8 radians (3e-4 at position 5000, 6e-3 at
 * 100k), and GPUs' sin/cos are only accurate on [-pi, pi]. Instead each frequency is baked in
 * turns (freq / 2 pi) as three f32 parts: two of 6 significant bits, so pos * part is exact in f32
 * (18 + 6 bits) and so is its fractional part, plus the rest, whose product is tiny. The sum of the
 * three fractional parts, wrapped to [-1/2, 1/2] turns, is the angle modulo 2 pi to ~1e-7.
 */

const WG = 256;
/** Significant bits of the two exact parts of a frequency in turns. */
const PART_BITS = 6;

/** x = a + b + c with a and b of PART_BITS significant bits (exact products with positions < 2^18). */
function splitTurns(x: number): [number, number, number] {
  const part = (v: number): number => {
    if (v === 0) return 0;
    const quantum = 2 ** (Math.floor(Math.log2(Math.abs(v))) - PART_BITS + 1);
    return Math.round(v / quantum) * quantum;
  };
  const a = part(x);
  const b = part(x - a);
  return [a, b, Math.fround(x - a - b)];
}

const ropeKernel = memoize(
  (headDim: number, theta: number, scaling: RopeOptions['scaling']) => `${headDim}/${theta}/${JSON.stringify(scaling ?? null)}`,
  (headDim: number, theta: number, scaling: RopeOptions['scaling']) => {
    const turns = [...ropeInverseFrequencies(headDim, theta, scaling)].map(
      (f) =>
        `vec3<f32>(${splitTurns(f / (2 * Math.PI))
          .map(f32Literal)
          .join(', ')})`,
    );
    const half = headDim / 2;
    return defineKernel(
      `model/rope:d${headDim}:theta${theta}:${scaling ? `llama3-${scaling.factor}-${scaling.lowFreqFactor}-${scaling.highFreqFactor}-${scaling.originalMaxPositionEmbeddings}` : 'plain'}`,
      {
        params: { pairs: 'u32', heads: 'u32', seq: 'u32', rowStart: 'u32', offset: 'u32', sign: 'f32' },
        read: { x: 'F' },
        write: { y: 'F' },
      },
      () => `
${WORKGROUP_INDEX}
const HALF = ${half}u;
// inverse frequencies in turns, each split in three parts (see splitTurns)
const TURNS = array<vec3<f32>, ${half}>(${turns.join(', ')});
const TWO_PI = ${f32Literal(2 * Math.PI)};

// the angle of position pos at frequency i, in [-pi, pi]
fn angle(pos: f32, i: u32) -> f32 {
  let f = TURNS[i];
  let t = fract(pos * f.x) + fract(pos * f.y) + fract(pos * f.z);
  return (t - round(t)) * TWO_PI;
}

@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let pair = workgroup_index(wid, nwg) * ${WG}u + lid;
  if (pair >= p.pairs) { return; }
  let i = pair % HALF;
  let head_row = pair / HALF;           // (token, head) flattened
  let t = (p.rowStart + head_row / p.heads) % p.seq;
  let a = angle(f32(p.offset + t), i);
  let c = cos(a);
  let s = p.sign * sin(a);
  let lo = head_row * (2u * HALF) + i;
  let x1 = f32(x[lo]);
  let x2 = f32(x[lo + HALF]);
  y[lo] = F(x1 * c - x2 * s);
  y[lo + HALF] = F(x2 * c + x1 * s);
}`,
    );
  },
);

export function rope(ctx: KernelContext, x: Tensor, options: RopeOptions): Tensor {
  const [batch, seq] = x.shape as [number, number, number];
  const { nHeads, headDim } = options;
  const width = nHeads * headDim;
  const y = ctx.output(x.shape, x.dtype);
  const kernel = ropeKernel(headDim, options.theta, options.scaling);
  for (const s of rowShards(ctx, 'rope', batch * seq, [{ rowElements: width, dtype: x.dtype }])) {
    const pairs = s.count * nHeads * (headDim / 2);
    kernel.run(ctx, {
      params: { pairs, heads: nHeads, seq, rowStart: s.start, offset: options.offset ?? 0, sign: options.inverse ? -1 : 1 },
      read: { x: shardOf(x, width, s) },
      write: { y: shardOf(y, width, s) },
      workgroups: ctx.grid1d(pairs, WG),
      variant: variantOf(x),
    });
  }
  return y;
}
