import { type Tensor, ops } from '@rr/tensor';
import type { ModelConfig } from './config.js';
import type { LayerNames } from './names.js';

export interface LayerCacheSlot {
  k: Tensor;
  v: Tensor;
  /** Position of the first of this call's tokens. */
  offset: number;
}

/**
 * One decoder layer in its pretrained form. Llama is pre-norm:
 *   x += o(attn(rope(q(n1 x)), rope(k(n1 x)), v(n1 x)));  x += down(silu(gate(n2 x)) * up(n2 x))
 * OLMo-2 is post-norm with QK-norm:
 *   x += n1(o(attn(...q = qn(q x), k = kn(k x) ...)));  x += n2(mlp(x))
 * With a cache slot, this call's keys and values are written at `offset` and attention reads the
 * whole filled prefix.
 */
export function decoderLayer(x: Tensor, w: (name: string) => Tensor, names: LayerNames, config: ModelConfig, cache?: LayerCacheSlot): Tensor {
  const post = config.architecture === 'olmo2';
  const linear = (input: Tensor, name: string): Tensor => ops.matmul(input, w(name), { transB: true });
  const rope = { theta: config.ropeTheta, scaling: config.ropeScaling, headDim: config.headDim, offset: cache?.offset ?? 0 };

  const h = post ? x : ops.rmsnorm(x, w(names.attnNorm), config.rmsNormEps);
  let q = linear(h, names.q);
  let k = linear(h, names.k);
  const v = linear(h, names.v);
  if (names.qNorm && names.kNorm) {
    q = ops.rmsnorm(q, w(names.qNorm), config.rmsNormEps);
    k = ops.rmsnorm(k, w(names.kNorm), config.rmsNormEps);
  }
  q = ops.rope(q, { ...rope, nHeads: config.numHeads });
  k = ops.rope(k, { ...rope, nHeads: config.numKvHeads });
  const heads = { nHeads: config.numHeads, nKvHeads: config.numKvHeads, headDim: config.headDim };
  let attn: Tensor;
  if (cache) {
    const backend = x.backend;
    backend.writeRange(cache.k, k, 1, cache.offset);
    backend.writeRange(cache.v, v, 1, cache.offset);
    attn = ops.attention(q, cache.k, cache.v, { ...heads, kvLength: cache.offset + x.shape[1]! });
  } else {
    attn = ops.attention(q, k, v, heads);
  }
  let attnOut = linear(attn, names.o);
  if (post) attnOut = ops.rmsnorm(attnOut, w(names.attnNorm), config.rmsNormEps);
  x = ops.add(x, attnOut);

  const h2 = post ? x : ops.rmsnorm(x, w(names.mlpNorm), config.rmsNormEps);
  let mlp = linear(ops.swiglu(linear(h2, names.gate), linear(h2, names.up)), names.down);
  if (post) mlp = ops.rmsnorm(mlp, w(names.mlpNorm), config.rmsNormEps);
  return ops.add(x, mlp);
}
