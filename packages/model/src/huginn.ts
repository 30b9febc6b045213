import { RRError, type TensorSource } from '@rr/tensor';
import { type Architecture, type ModelConfig, parseRopeScaling, toHfRopeScaling } from './config.js';
import { ADAPTER, EMBED, FINAL_NORM, LM_HEAD, type LayerNames, expectedTensors, layerNames } from './names.js';
import { type RecurrenceStructure, S0_STD } from './recurrent-lm.js';

/*
 * The Huginn ("raven") folder layout in which the paper's authors release their retrofitted
 * models: a `RavenForCausalLM` with the modules
 *   transformer.wte, transformer.prelude.{j}, transformer.adapter, transformer.core_block.{j},
 *   transformer.coda.{j}, transformer.ln_f, lm_head
 * where every block holds norm_1, attn.Wqkv (q, k and v projections stacked by rows), attn.proj,
 * norm_2, mlp.fc (gate and up stacked by rows), mlp.proj, and for OLMo-2 also attn.q_norm and
 * attn.k_norm. In the Llama variant norm_1/norm_2 are the pre-attention/pre-MLP norms; in the
 * OLMo-2 variant they are applied to the attention/MLP outputs (post-norm), which is exactly how
 * rr's layer names map them (attnNorm, mlpNorm). The config keys follow their RavenConfig
 * (n_embd, n_heads, n_layers_in_prelude/recurrent_block/coda, init_values.std, ...).
 * Source of these facts: the authors' retrofitting-recurrence repository,
 * convert_pretrained_model/{raven_modeling_minimal_llama,raven_modeling_minimal_olmo,
 * raven_config_minimal,convert_llama,convert_olmo}.py at commit
 * e21042a9f4708b9f1ad2ca1f767948debe5a9289 (as kept in the LoopedLMs/retrofitting-recurrence
 * fork), and recpre/raven_modeling_minimal.py of seal-rg/recurrent-pretraining at
 * 59e0b69b2d96a59cbbe79c9d5034d89ecb5ab6f6.
 */

export const HUGINN_MODEL_TYPE = 'huginn_raven';
export const HUGINN_ARCHITECTURE = 'RavenForCausalLM';

/** Whether a config.json describes a Huginn-format (raven) model. */
export function isHuginnConfig(raw: Record<string, unknown>): boolean {
  return raw.model_type === HUGINN_MODEL_TYPE || (Array.isArray(raw.architectures) && raw.architectures[0] === HUGINN_ARCHITECTURE);
}

/** Which part of the stored model each Huginn block prefix is. */
function blockPrefixes(structure: RecurrenceStructure): [number, string][] {
  return [
    ...structure.prelude.map((layer, j) => [layer, `transformer.prelude.${j}`] as [number, string]),
    ...structure.block.map((layer, j) => [layer, `transformer.core_block.${j}`] as [number, string]),
    ...structure.coda.map((layer, j) => [layer, `transformer.coda.${j}`] as [number, string]),
  ];
}

/**
 * Each Huginn tensor name and the rr tensors it stacks by rows, in order (one for most; q, k, v
 * for attn.Wqkv; gate, up for mlp.fc).
 */
export function huginnTensorGroups(config: ModelConfig, structure: RecurrenceStructure): Map<string, string[]> {
  const groups = new Map<string, string[]>([
    ['transformer.wte.weight', [EMBED]],
    ['transformer.adapter.weight', [ADAPTER]],
  ]);
  for (const [layer, prefix] of blockPrefixes(structure)) {
    const n: LayerNames = layerNames(layer, config.architecture);
    groups.set(`${prefix}.norm_1.weight`, [n.attnNorm]);
    groups.set(`${prefix}.attn.Wqkv.weight`, [n.q, n.k, n.v]);
    groups.set(`${prefix}.attn.proj.weight`, [n.o]);
    if (n.qNorm && n.kNorm) {
      groups.set(`${prefix}.attn.q_norm.weight`, [n.qNorm]);
      groups.set(`${prefix}.attn.k_norm.weight`, [n.kNorm]);
    }
    groups.set(`${prefix}.norm_2.weight`, [n.mlpNorm]);
    groups.set(`${prefix}.mlp.fc.weight`, [n.gate, n.up]);
    groups.set(`${prefix}.mlp.proj.weight`, [n.down]);
  }
  groups.set('transformer.ln_f.weight', [FINAL_NORM]);
  groups.set('lm_head.weight', [LM_HEAD]);
  return groups;
}

/** The model config and structure a Huginn-format config.json (and its tensor names) describe. */
export function parseHuginnConfig(
  raw: Record<string, unknown>,
  tensorNames: ReadonlySet<string>,
  source: string,
): { config: ModelConfig; structure: RecurrenceStructure } {
  const int = (keys: string[], fallback?: number, allowZero = false): number => {
    const key = keys.find((k) => raw[k] !== undefined);
    const v = key === undefined ? fallback : raw[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
      throw new RRError(
        'CONFIG_INVALID',
        `${source}: "${keys[0]}" must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(key === undefined ? undefined : raw[key])}.`,
      );
    }
    return v;
  };
  const num = (keys: string[], fallback: number): number => {
    const key = keys.find((k) => raw[k] !== undefined);
    const v = key === undefined ? fallback : raw[key];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      throw new RRError('CONFIG_INVALID', `${source}: "${keys[0]}" must be a positive number, got ${JSON.stringify(v)}.`);
    return v;
  };
  if ([...tensorNames].some((n) => n.endsWith('.norm_3.weight') || n.endsWith('.norm_4.weight'))) {
    throw new RRError(
      'CONFIG_UNSUPPORTED',
      `${source}: this Huginn model has sandwich blocks (norm_3, norm_4), as the from-scratch Huginn-0125 does; rr reads the retrofitted Llama / OLMo-2 models of the retrofitting-recurrence release, whose blocks are the base model's layers.`,
    );
  }
  if (raw.qk_bias === true || [...tensorNames].some((n) => n.endsWith('.attn.qk_bias'))) {
    throw new RRError('CONFIG_UNSUPPORTED', `${source}: qk_bias is on; rr's attention has no query/key bias (the retrofitted models have qk_bias false).`);
  }
  const initValues = (raw.init_values ?? {}) as Record<string, unknown>;
  const embedScale = initValues.embed_scale ?? 1;
  if (embedScale !== 1) {
    throw new RRError(
      'CONFIG_UNSUPPORTED',
      `${source}: init_values.embed_scale is ${JSON.stringify(embedScale)}; rr does not scale embeddings (the retrofitted models set it to 1.0).`,
    );
  }
  const architecture: Architecture = [...tensorNames].some((n) => n.endsWith('.attn.q_norm.weight')) ? 'olmo2' : 'llama';
  const hiddenSize = int(['n_embd', 'hidden_size']);
  const numHeads = int(['n_heads', 'num_attention_heads']);
  const numKvHeads = int(['num_key_value_heads'], numHeads);
  // the Llama variant of the modeling code always splits n_embd into n_heads heads
  const headDim = architecture === 'llama' ? hiddenSize / numHeads : int(['head_dim'], hiddenSize / numHeads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0 || numHeads % numKvHeads !== 0) {
    throw new RRError(
      'CONFIG_INVALID',
      `${source}: ${numHeads} heads of ${hiddenSize} / ${numHeads} dimensions with ${numKvHeads} key/value heads is not a valid attention shape.`,
    );
  }
  const prelude = int(['n_layers_in_prelude'], undefined, true);
  const block = int(['n_layers_in_recurrent_block']);
  const coda = int(['n_layers_in_coda'], undefined, true);
  const tokenId = (key: string, fallback: number): number => {
    const v = raw[key];
    const id = Array.isArray(v) ? v[0] : v;
    return typeof id === 'number' ? id : fallback;
  };
  const config: ModelConfig = {
    architecture,
    hiddenSize,
    numLayers: prelude + block + coda,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: int(['intermediate_size']),
    vocabSize: int(['padded_vocab_size', 'vocab_size']),
    rmsNormEps: num(['norm_eps', 'rms_norm_eps'], 1e-6),
    ropeTheta: num(['rope_theta', 'rope_base'], 10000),
    ropeScaling: parseRopeScaling(raw.rope_scaling, source),
    tieWordEmbeddings: raw.tie_embeddings === true,
    maxPositionEmbeddings: int(['max_position_embeddings', 'block_size'], 4096),
    bosTokenId: tokenId('bos_token_id', 1),
    eosTokenId: tokenId('eos_token_id', 2),
  };
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  const std = typeof initValues.std === 'number' ? initValues.std : S0_STD;
  // rr's own section keeps std and scale apart; the authors' code knows only their product
  const rr = (raw.rr ?? {}) as Record<string, unknown>;
  const split = typeof rr.s0_std === 'number' && typeof rr.init_scale === 'number' && rr.s0_std * rr.init_scale === std;
  const structure: RecurrenceStructure = {
    prelude: range(0, prelude),
    block: range(prelude, block),
    coda: range(prelude + block, coda),
    s0Std: split ? (rr.s0_std as number) : std > 0 ? std : S0_STD,
    initScale: split ? (rr.init_scale as number) : std > 0 ? 1 : 0,
  };
  return { config, structure };
}

/** The rr model config as a Huginn-format config.json (the authors' RavenConfig keys). */
export function toHuginnConfig(
  config: ModelConfig,
  structure: RecurrenceStructure,
  options: { meanRecurrence?: number; backpropDepth?: number } = {},
): Record<string, unknown> {
  if (config.architecture === 'llama' && config.numHeads * config.headDim !== config.hiddenSize) {
    throw new RRError(
      'HUGINN_UNSUPPORTED',
      `Huginn format: the Llama variant of the authors' code needs n_heads * head_dim = n_embd, but this model has ${config.numHeads} x ${config.headDim} != ${config.hiddenSize}.`,
    );
  }
  if (structure.block.length === 0) {
    throw new RRError('HUGINN_UNSUPPORTED', 'Huginn format: the model has no recurrent block; a static model stays a plain Hugging Face folder.');
  }
  const p = structure.prelude.length;
  const r = structure.block.length;
  const c = structure.coda.length;
  const meanRecurrence = options.meanRecurrence ?? 4;
  const std = structure.s0Std * structure.initScale;
  const depth = p + c + r * meanRecurrence;
  return {
    architectures: [HUGINN_ARCHITECTURE],
    auto_map: { AutoConfig: 'raven_config_minimal.RavenConfig', AutoModelForCausalLM: 'raven_modeling_minimal.RavenForCausalLM' },
    model_type: HUGINN_MODEL_TYPE,
    n_embd: config.hiddenSize,
    n_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    intermediate_size: config.intermediateSize,
    vocab_size: config.vocabSize,
    padded_vocab_size: config.vocabSize,
    n_layers: p + r + c,
    n_layers_in_prelude: p,
    n_layers_in_recurrent_block: r,
    n_layers_in_coda: c,
    norm_eps: config.rmsNormEps,
    rope_base: config.ropeTheta,
    rope_theta: config.ropeTheta,
    rope_scaling: toHfRopeScaling(config.ropeScaling),
    max_position_embeddings: config.maxPositionEmbeddings,
    block_size: config.maxPositionEmbeddings,
    // the authors' loader chokes on tie_word_embeddings next to tie_embeddings, so only the latter
    tie_embeddings: false,
    bias: false,
    qk_bias: false,
    architecture_class_name: 'RecurrentGPT',
    block_class_name: 'SandwichBlock',
    norm_class_name: 'RMSNorm_llama',
    mlp_class_name: 'GatedMLP',
    nonlin_name: 'SiLU',
    injection_type: 'linear',
    state_init: 'like-init',
    sampling_scheme: 'poisson-lognormal-filling',
    mean_recurrence: meanRecurrence,
    mean_backprop_depth: options.backpropDepth ?? 8,
    init_values: {
      std,
      out_proj: std / Math.sqrt(2 * depth),
      embedding: std,
      embed_scale: 1.0,
    },
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    torch_dtype: 'float32',
  };
}

/**
 * The weights of a Huginn folder under rr's names: q/k/v and gate/up are row ranges of the stacked
 * tensors, read on demand, so the usual loader (`uploadWeights`) checks and uploads them.
 */
export function huginnTensorSource(huginn: TensorSource, config: ModelConfig, structure: RecurrenceStructure, origin: string): TensorSource {
  const shapes = expectedTensors(config, { adapter: true });
  const parts = new Map<string, { from: string; offset: number; shape: number[] }>();
  for (const [name, members] of huginnTensorGroups(config, structure)) {
    const info = huginn.tensors.get(name);
    if (!info) continue;
    const rowWidth = info.shape.slice(1).reduce((a, b) => a * b, 1);
    const expectedRows = members.reduce((s, m) => s + shapes.get(m)![0]!, 0);
    if (info.shape[0] !== expectedRows) {
      throw new RRError(
        'TENSOR_SHAPE_MISMATCH',
        `${origin}: tensor ${name} has shape [${info.shape.join(', ')}] but the config implies ${expectedRows} rows (${members.join(' + ')}); the config.json and the weights do not belong together.`,
        { tensor: name },
      );
    }
    let row = 0;
    for (const m of members) {
      const shape = [shapes.get(m)![0]!, ...info.shape.slice(1)];
      parts.set(m, { from: name, offset: row * rowWidth, shape });
      row += shape[0]!;
    }
  }
  const tensors: TensorSource['tensors'] = new Map([...parts].map(([name, part]) => [name, { ...huginn.tensors.get(part.from)!, name, shape: part.shape }]));
  return {
    metadata: huginn.metadata,
    tensors,
    close: () => huginn.close(),
    readRaw(name: string): never {
      throw new RRError('NOT_SUPPORTED', `${origin}: ${name} is a slice of a Huginn tensor; read it with readF32.`);
    },
    readF32(name: string): Float32Array {
      const part = parts.get(name);
      if (!part) throw new RRError('MISSING_TENSOR', `${origin}: tensor ${name} is missing from the checkpoint.`, { tensor: name });
      const whole = huginn.readF32(part.from);
      const size = part.shape.reduce((a, b) => a * b, 1);
      return part.offset === 0 && size === whole.length ? whole : whole.slice(part.offset, part.offset + size);
    },
  };
}
