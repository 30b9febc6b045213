import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, type TensorToWrite, writeSafetensors } from '@rr/tensor';

/**
 * Generates small checkpoints in the Huginn ("raven") format the paper's authors release, for
 * tests, together with the same weights as a plain rr folder (Hugging Face Llama / OLMo-2 names
 * plus an `rr` section), so a reader and a writer can both be checked against it.
 *
 * The Huginn side is written from this file's own table, not from rr's mapping code. Names and
 * config keys were read off the authors' public modeling code: retrofitting-recurrence,
 * convert_pretrained_model/raven_modeling_minimal_llama.py and raven_modeling_minimal_olmo.py
 * (module tree: transformer.{wte, prelude, adapter, core_block, coda, ln_f} and lm_head; a block
 * is norm_1, attn.Wqkv, attn.proj, norm_2, mlp.fc, mlp.proj, plus attn.q_norm / attn.k_norm for
 * OLMo-2; Wqkv splits its rows as [q | k | v] and mlp.fc as [gate | up]),
 * raven_config_minimal.py (the config keys) and convert_llama.py / convert_olmo.py (which Llama
 * tensor goes where: norm_1 = input_layernorm for Llama but post_attention_layernorm for OLMo-2,
 * norm_2 = post_attention_layernorm for Llama but post_feedforward_layernorm for OLMo-2), at
 * commit e21042a9f4708b9f1ad2ca1f767948debe5a9289, the authors' last, as kept in
 * github.com/LoopedLMs/retrofitting-recurrence.
 */
export interface HuginnFixture {
  /** The Huginn-format folder. */
  huginn: string;
  /** The same model as an rr folder. */
  rr: string;
  /** Tensor name -> data, as written to the Huginn folder. */
  tensors: Record<string, TensorToWrite>;
  config: Record<string, unknown>;
}

export interface HuginnFixtureOptions {
  architecture: 'llama' | 'olmo2';
  prelude: number;
  block: number;
  coda: number;
  hidden?: number;
  heads?: number;
  kvHeads?: number;
  ffn?: number;
  vocab?: number;
  seed?: number;
}

export function writeHuginnFixture(dir: string, o: HuginnFixtureOptions): HuginnFixture {
  const h = o.hidden ?? 16;
  const heads = o.heads ?? 4;
  const kvHeads = o.kvHeads ?? 2;
  const ffn = o.ffn ?? 24;
  const vocab = o.vocab ?? 48;
  const hd = h / heads;
  const rng = Rng.fromSeed(o.seed ?? 7);
  const random = (shape: number[], std: number): TensorToWrite => ({
    dtype: 'F32',
    shape,
    data: rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, std),
  });
  const norm = (n: number): TensorToWrite => ({ dtype: 'F32', shape: [n], data: rng.fillUniform(new Float32Array(n), 0.5, 1.5) });
  const olmo = o.architecture === 'olmo2';

  const huginn: Record<string, TensorToWrite> = {
    'transformer.wte.weight': random([vocab, h], 0.5),
    'transformer.adapter.weight': random([h, 2 * h], 0.3),
    'transformer.ln_f.weight': norm(h),
    'lm_head.weight': random([vocab, h], 0.5),
  };
  const parts: [string, number][] = [
    ['prelude', o.prelude],
    ['core_block', o.block],
    ['coda', o.coda],
  ];
  for (const [part, count] of parts) {
    for (let j = 0; j < count; j++) {
      const p = `transformer.${part}.${j}`;
      huginn[`${p}.norm_1.weight`] = norm(h);
      huginn[`${p}.attn.Wqkv.weight`] = random([(heads + 2 * kvHeads) * hd, h], 0.3);
      huginn[`${p}.attn.proj.weight`] = random([h, heads * hd], 0.3);
      if (olmo) {
        huginn[`${p}.attn.q_norm.weight`] = norm(heads * hd);
        huginn[`${p}.attn.k_norm.weight`] = norm(kvHeads * hd);
      }
      huginn[`${p}.norm_2.weight`] = norm(h);
      huginn[`${p}.mlp.fc.weight`] = random([2 * ffn, h], 0.3);
      huginn[`${p}.mlp.proj.weight`] = random([h, ffn], 0.3);
    }
  }
  const config = {
    architectures: ['RavenForCausalLM'],
    auto_map: { AutoConfig: 'raven_config_minimal.RavenConfig', AutoModelForCausalLM: 'raven_modeling_minimal.RavenForCausalLM' },
    model_type: 'huginn_raven',
    n_embd: h,
    n_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: hd,
    intermediate_size: ffn,
    vocab_size: vocab,
    padded_vocab_size: vocab,
    n_layers: o.prelude + o.block + o.coda,
    n_layers_in_prelude: o.prelude,
    n_layers_in_recurrent_block: o.block,
    n_layers_in_coda: o.coda,
    norm_eps: 1e-5,
    rope_base: 10000,
    rope_theta: 10000,
    max_position_embeddings: 64,
    tie_embeddings: false,
    bias: false,
    qk_bias: false,
    mean_recurrence: 4,
    mean_backprop_depth: 8,
    init_values: { std: 0.008703882797784892, out_proj: 0.001, embedding: 0.008703882797784892, embed_scale: 1.0 },
    bos_token_id: 1,
    eos_token_id: 2,
  };
  const huginnDir = writeModelFolder(join(dir, 'huginn'), config, huginn);

  // the twin: the same numbers under Hugging Face names, layers numbered prelude, block, coda
  const rows = (t: TensorToWrite, from: number, count: number): TensorToWrite => {
    const width = t.shape[1]!;
    return { dtype: 'F32', shape: [count, width], data: (t.data as Float32Array).slice(from * width, (from + count) * width) };
  };
  const rr: Record<string, TensorToWrite> = {
    'model.embed_tokens.weight': huginn['transformer.wte.weight']!,
    'model.adapter.weight': huginn['transformer.adapter.weight']!,
    'model.norm.weight': huginn['transformer.ln_f.weight']!,
    'lm_head.weight': huginn['lm_head.weight']!,
  };
  let layer = 0;
  for (const [part, count] of parts) {
    for (let j = 0; j < count; j++, layer++) {
      const p = `transformer.${part}.${j}`;
      const l = `model.layers.${layer}`;
      const qkv = huginn[`${p}.attn.Wqkv.weight`]!;
      rr[`${l}.self_attn.q_proj.weight`] = rows(qkv, 0, heads * hd);
      rr[`${l}.self_attn.k_proj.weight`] = rows(qkv, heads * hd, kvHeads * hd);
      rr[`${l}.self_attn.v_proj.weight`] = rows(qkv, (heads + kvHeads) * hd, kvHeads * hd);
      rr[`${l}.self_attn.o_proj.weight`] = huginn[`${p}.attn.proj.weight`]!;
      const fc = huginn[`${p}.mlp.fc.weight`]!;
      rr[`${l}.mlp.gate_proj.weight`] = rows(fc, 0, ffn);
      rr[`${l}.mlp.up_proj.weight`] = rows(fc, ffn, ffn);
      rr[`${l}.mlp.down_proj.weight`] = huginn[`${p}.mlp.proj.weight`]!;
      if (olmo) {
        rr[`${l}.self_attn.q_norm.weight`] = huginn[`${p}.attn.q_norm.weight`]!;
        rr[`${l}.self_attn.k_norm.weight`] = huginn[`${p}.attn.k_norm.weight`]!;
        rr[`${l}.post_attention_layernorm.weight`] = huginn[`${p}.norm_1.weight`]!;
        rr[`${l}.post_feedforward_layernorm.weight`] = huginn[`${p}.norm_2.weight`]!;
      } else {
        rr[`${l}.input_layernorm.weight`] = huginn[`${p}.norm_1.weight`]!;
        rr[`${l}.post_attention_layernorm.weight`] = huginn[`${p}.norm_2.weight`]!;
      }
    }
  }
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  const rrConfig = {
    architectures: [olmo ? 'Olmo2ForCausalLM' : 'LlamaForCausalLM'],
    hidden_size: h,
    num_hidden_layers: layer,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    intermediate_size: ffn,
    vocab_size: vocab,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 64,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    rr: {
      plan: { prelude: range(0, o.prelude), block: range(o.prelude, o.block), coda: range(o.prelude + o.block, o.coda) },
      origin: range(0, layer),
      s0_std: 0.008703882797784892,
      init_scale: 1,
    },
  };
  return { huginn: huginnDir, rr: writeModelFolder(join(dir, 'rr'), rrConfig, rr), tensors: huginn, config };
}

/** A Hugging Face style folder of one config.json and one model.safetensors; returns its path. */
function writeModelFolder(path: string, config: object, tensors: Record<string, TensorToWrite>): string {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'config.json'), JSON.stringify(config, null, 2));
  writeSafetensors(join(path, 'model.safetensors'), tensors);
  return path;
}
