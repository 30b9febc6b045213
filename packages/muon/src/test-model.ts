import { type Backend, type DType, Rng, type Tensor } from '@rr/tensor';
import type { Param } from './optimizer.js';

/**
 * Test-only: the parameter names and shapes of a tiny retrofitted Llama (as @rr/model names
 * them), with seeded values and gradients.
 */
export function tinyLlamaShapes(hidden = 8, vocab = 16, ffn = 12, layers = 2): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [vocab, hidden]);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [hidden]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [hidden, hidden]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [hidden / 2, hidden]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [hidden / 2, hidden]);
    shapes.set(`${p}.self_attn.o_proj.weight`, [hidden, hidden]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [hidden]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [ffn, hidden]);
    shapes.set(`${p}.mlp.up_proj.weight`, [ffn, hidden]);
    shapes.set(`${p}.mlp.down_proj.weight`, [hidden, ffn]);
  }
  shapes.set('model.adapter.weight', [hidden, 2 * hidden]);
  shapes.set('model.norm.weight', [hidden]);
  shapes.set('lm_head.weight', [vocab, hidden]);
  return shapes;
}

export function seededTensor(backend: Backend, shape: readonly number[], dtype: DType, ...path: (string | number)[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return backend.upload(
    Rng.fromSeed(2024)
      .stream(...path)
      .fillNormal(new Float64Array(size)),
    shape,
    dtype,
  );
}

export function tinyLlamaParams(backend: Backend, dtype: DType): Param[] {
  return [...tinyLlamaShapes()].map(([name, shape]) => ({ name, tensor: seededTensor(backend, shape, dtype, 'param', name) }));
}

export function seededGrads(params: readonly Param[], step: number): Tensor[] {
  return params.map((p) => seededTensor(p.tensor.backend, p.tensor.shape, p.tensor.dtype, 'grad', p.name, step));
}
