import type { Architecture, ModelConfig } from './config.js';

/** Hugging Face tensor names of one decoder layer. */
export interface LayerNames {
  q: string;
  k: string;
  v: string;
  o: string;
  gate: string;
  up: string;
  down: string;
  /** Llama: pre-attention norm. OLMo-2: post-attention norm (applied to the attention output). */
  attnNorm: string;
  /** Llama: pre-MLP norm. OLMo-2: post-feed-forward norm (applied to the MLP output). */
  mlpNorm: string;
  /** OLMo-2 QK-norm over the full q and k projections. */
  qNorm?: string;
  kNorm?: string;
}

export function layerNames(i: number, architecture: Architecture): LayerNames {
  const p = `model.layers.${i}`;
  const common = {
    q: `${p}.self_attn.q_proj.weight`,
    k: `${p}.self_attn.k_proj.weight`,
    v: `${p}.self_attn.v_proj.weight`,
    o: `${p}.self_attn.o_proj.weight`,
    gate: `${p}.mlp.gate_proj.weight`,
    up: `${p}.mlp.up_proj.weight`,
    down: `${p}.mlp.down_proj.weight`,
  };
  return architecture === 'olmo2'
    ? {
        ...common,
        attnNorm: `${p}.post_attention_layernorm.weight`,
        mlpNorm: `${p}.post_feedforward_layernorm.weight`,
        qNorm: `${p}.self_attn.q_norm.weight`,
        kNorm: `${p}.self_attn.k_norm.weight`,
      }
    : { ...common, attnNorm: `${p}.input_layernorm.weight`, mlpNorm: `${p}.post_attention_layernorm.weight` };
}

export const EMBED = 'model.embed_tokens.weight';
export const FINAL_NORM = 'model.norm.weight';
export const LM_HEAD = 'lm_head.weight';
/** The recurrence adapter Linear(2h -> h), stored [h, 2h] like every Linear weight. */
export const ADAPTER = 'model.adapter.weight';

/** Every tensor a model with `numLayers` layers has, with its shape. */
export function expectedTensors(config: ModelConfig, options: { numLayers?: number; adapter?: boolean; head?: boolean } = {}): Map<string, number[]> {
  const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize: f, vocabSize: v } = config;
  const shapes = new Map<string, number[]>();
  shapes.set(EMBED, [v, h]);
  for (let i = 0; i < (options.numLayers ?? config.numLayers); i++) {
    const n = layerNames(i, config.architecture);
    shapes.set(n.q, [numHeads * headDim, h]);
    shapes.set(n.k, [numKvHeads * headDim, h]);
    shapes.set(n.v, [numKvHeads * headDim, h]);
    shapes.set(n.o, [h, numHeads * headDim]);
    shapes.set(n.gate, [f, h]);
    shapes.set(n.up, [f, h]);
    shapes.set(n.down, [h, f]);
    shapes.set(n.attnNorm, [h]);
    shapes.set(n.mlpNorm, [h]);
    if (n.qNorm) shapes.set(n.qNorm, [numHeads * headDim]);
    if (n.kNorm) shapes.set(n.kNorm, [numKvHeads * headDim]);
  }
  shapes.set(FINAL_NORM, [h]);
  if (options.head ?? true) shapes.set(LM_HEAD, [v, h]);
  if (options.adapter) shapes.set(ADAPTER, [h, 2 * h]);
  return shapes;
}
