import type { Llama3RopeScaling } from '../backend.js';
import { type InputSpec, input, normal } from './inputs.js';
import type { OpSet } from './op-set.js';

/**
 * A tiny pre-norm Llama block, written once over an OpSet so that the backend and the f64
 * reference run exactly the same composition (docs/method.md section 1):
 *
 *   h = x + o(attention(rope(q(rms1(x))), rope(k(rms1(x))), v(rms1(x))))
 *   y = h + down(swiglu(gate(rms2(h)), up(rms2(h))))
 *
 * Linear weights are [out, in] and applied with transB, as loaded from Hugging Face checkpoints.
 * Composite checks catch what per-op checks cannot: layout agreements between ops (interleaved
 * heads from a projection into rope and attention), and gradients accumulated across several
 * consumers of one tensor (the residual stream, x feeding q, k and v).
 */
export interface TinyLlamaConfig {
  dim: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  ffnDim: number;
  vocab: number;
  ropeTheta: number;
  ropeScaling?: Llama3RopeScaling;
  eps: number;
}

/** Small enough that finite differences over every weight take milliseconds; GQA (2 query heads per kv head). */
export const tinyLlama: TinyLlamaConfig = {
  dim: 8,
  nHeads: 2,
  nKvHeads: 1,
  headDim: 4,
  ffnDim: 12,
  vocab: 11,
  ropeTheta: 10000,
  eps: 1e-5,
};

export const blockWeightNames = ['attnNorm', 'wq', 'wk', 'wv', 'wo', 'mlpNorm', 'wGate', 'wUp', 'wDown'] as const;
export type BlockWeights<T> = Record<(typeof blockWeightNames)[number], T>;

/** Weight inputs in `blockWeightNames` order; linear weights scaled by 1/sqrt(fan-in) so activations stay O(1). */
export function blockWeightInputs(c: TinyLlamaConfig, prefix = ''): InputSpec[] {
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const linear = (name: string, out: number, inDim: number): InputSpec => input(prefix + name, [out, inDim], normal(1 / Math.sqrt(inDim)));
  return [
    input(`${prefix}attnNorm`, [c.dim]),
    linear('wq', q, c.dim),
    linear('wk', kv, c.dim),
    linear('wv', kv, c.dim),
    linear('wo', c.dim, q),
    input(`${prefix}mlpNorm`, [c.dim]),
    linear('wGate', c.ffnDim, c.dim),
    linear('wUp', c.ffnDim, c.dim),
    linear('wDown', c.dim, c.ffnDim),
  ];
}

/** The inverse of `blockWeightInputs`: a flat input list (from `offset`) as named weights. */
export function blockWeights<T>(xs: readonly T[], offset = 0): BlockWeights<T> {
  return Object.fromEntries(blockWeightNames.map((name, i) => [name, xs[offset + i]!])) as BlockWeights<T>;
}

export function llamaBlock<T>(o: OpSet<T>, x: T, w: BlockWeights<T>, c: TinyLlamaConfig): T {
  const linear = (t: T, weight: T): T => o.matmul(t, weight, { transB: true });
  const rope = (t: T, nHeads: number): T => o.rope(t, { nHeads, headDim: c.headDim, theta: c.ropeTheta, scaling: c.ropeScaling });

  const a = o.rmsnorm(x, w.attnNorm, c.eps);
  const q = rope(linear(a, w.wq), c.nHeads);
  const k = rope(linear(a, w.wk), c.nKvHeads);
  const v = linear(a, w.wv);
  const attn = o.attention(q, k, v, { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim });
  const h = o.binary('add', x, linear(attn, w.wo));

  const m = o.rmsnorm(h, w.mlpNorm, c.eps);
  const mlp = linear(o.swiglu(linear(m, w.wGate), linear(m, w.wUp)), w.wDown);
  return o.binary('add', h, mlp);
}

/** Embedding -> block -> LM head -> mean cross-entropy: a one-layer language model's training loss. */
export function tinyLanguageModelLoss<T>(o: OpSet<T>, tokens: T, labels: T, table: T, w: BlockWeights<T>, lmHead: T, c: TinyLlamaConfig): T {
  const hidden = llamaBlock(o, o.embedding(tokens, table), w, c);
  return o.crossEntropy(o.matmul(hidden, lmHead, { transB: true }), labels, -100);
}
