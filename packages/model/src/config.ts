import { type Llama3RopeScaling, RRError } from '@rr/tensor';

export type Architecture = 'llama' | 'olmo2';

/** The model hyper-parameters rr needs, normalised from a Hugging Face config.json. */
export interface ModelConfig {
  architecture: Architecture;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling?: Llama3RopeScaling | undefined;
  tieWordEmbeddings: boolean;
  maxPositionEmbeddings: number;
  bosTokenId: number;
  eosTokenId: number;
}

const ARCHITECTURES: Record<string, Architecture> = {
  LlamaForCausalLM: 'llama',
  Olmo2ForCausalLM: 'olmo2',
};

type Json = Record<string, unknown>;

/** Parses and validates a Hugging Face config.json object; `source` names the file in errors. */
export function parseHfConfig(json: unknown, source: string): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RRError('CONFIG_INVALID', `${source}: a model config must be a JSON object.`);
  }
  const c = json as Json;
  const archName = Array.isArray(c.architectures) ? String(c.architectures[0]) : undefined;
  const architecture = archName ? ARCHITECTURES[archName] : c.model_type === 'llama' ? 'llama' : c.model_type === 'olmo2' ? 'olmo2' : undefined;
  if (archName === undefined && c.model_type === undefined) {
    throw new RRError(
      'CONFIG_INVALID',
      `${source}: names no architecture: a Hugging Face config needs "architectures" (e.g. ["LlamaForCausalLM"]) or "model_type" (e.g. "llama"), besides the sizes (hidden_size, num_hidden_layers, ...). Is this the config.json of a model?`,
    );
  }
  if (!architecture) {
    throw new RRError(
      'UNKNOWN_ARCHITECTURE',
      `${source}: architecture ${JSON.stringify(archName ?? c.model_type)} is not supported; rr loads ${Object.keys(ARCHITECTURES).join(', ')}.`,
    );
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      throw new RRError('CONFIG_INVALID', `${source}: "${key}" must be a positive integer, got ${JSON.stringify(c[key])}.`);
    }
    return v;
  };
  const num = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RRError('CONFIG_INVALID', `${source}: "${key}" must be a positive number, got ${JSON.stringify(c[key])}.`);
    }
    return v;
  };
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  const headDim = int('head_dim', hiddenSize / numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new RRError('CONFIG_INVALID', `${source}: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads}).`);
  }
  if (headDim % 2 !== 0) throw new RRError('CONFIG_INVALID', `${source}: head_dim (${headDim}) must be even for RoPE.`);
  const tokenId = (key: string, fallback: number): number => {
    const v = c[key];
    const id = Array.isArray(v) ? v[0] : v;
    return typeof id === 'number' ? id : fallback;
  };
  return {
    architecture,
    hiddenSize,
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: int('intermediate_size'),
    vocabSize: int('vocab_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    ropeScaling: parseRopeScaling(c.rope_scaling, source),
    tieWordEmbeddings: c.tie_word_embeddings === true,
    maxPositionEmbeddings: int('max_position_embeddings', 2048),
    bosTokenId: tokenId('bos_token_id', 1),
    eosTokenId: tokenId('eos_token_id', 2),
  };
}

/** A config's `rope_scaling` (only Llama-3's kind is supported); undefined when absent. */
export function parseRopeScaling(value: unknown, source: string): Llama3RopeScaling | undefined {
  if (value === null || value === undefined) return undefined;
  const s = value as Json;
  const type = s.rope_type ?? s.type;
  if (type !== 'llama3') {
    throw new RRError(
      'CONFIG_UNSUPPORTED',
      `${source}: rope_scaling type ${JSON.stringify(type)} is not supported (rr implements "llama3"); remove it or convert the model.`,
    );
  }
  const get = (key: string): number => {
    const v = s[key];
    if (typeof v !== 'number' || !(v > 0))
      throw new RRError('CONFIG_INVALID', `${source}: rope_scaling.${key} must be a positive number, got ${JSON.stringify(v)}.`);
    return v;
  };
  return {
    factor: get('factor'),
    lowFreqFactor: get('low_freq_factor'),
    highFreqFactor: get('high_freq_factor'),
    originalMaxPositionEmbeddings: get('original_max_position_embeddings'),
  };
}

/**
 * The inverse of parseRopeScaling: the `rope_scaling` value written into a config (null when
 * absent), shared by the Hugging Face and Huginn writers so both spell it the same way.
 */
export function toHfRopeScaling(scaling: Llama3RopeScaling | undefined): Json | null {
  return scaling
    ? {
        rope_type: 'llama3',
        factor: scaling.factor,
        low_freq_factor: scaling.lowFreqFactor,
        high_freq_factor: scaling.highFreqFactor,
        original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
      }
    : null;
}

/** The inverse of parseHfConfig for the fields rr owns (used when writing converted models). */
export function toHfConfig(config: ModelConfig): Json {
  return {
    architectures: [config.architecture === 'olmo2' ? 'Olmo2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: config.architecture,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    intermediate_size: config.intermediateSize,
    vocab_size: config.vocabSize,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: toHfRopeScaling(config.ropeScaling),
    tie_word_embeddings: config.tieWordEmbeddings,
    max_position_embeddings: config.maxPositionEmbeddings,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    hidden_act: 'silu',
  };
}
