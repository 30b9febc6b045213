import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Backend, RRError, type TensorSource, openModelWeights } from '@rr/tensor';
import { huginnTensorSource, isHuginnConfig, parseHuginnConfig } from '../huginn.js';
import { type ModelConfig, parseHfConfig } from '../config.js';
import { LM_HEAD, expectedTensors } from '../names.js';
import { type RecurrenceStructure, RecurrentLM, S0_STD } from '../recurrent-lm.js';
import { HfTokenizer } from '../tokenizer/hf.js';
import { Llama2cTokenizer } from '../tokenizer/llama2c.js';
import type { TextTokenizer } from '../tokenizer/tokenizer.js';
import { uploadWeights } from './weights.js';

export interface LoadedModel {
  model: RecurrentLM;
  tokenizer: TextTokenizer | undefined;
  /** The raw config.json (with its `rr` section for recurrent checkpoints). */
  rawConfig: Record<string, unknown>;
  source: string;
  /** The tokenizer's files, for copying next to a converted model (`as` = name in the new folder). */
  tokenizerFiles: { from: string; as: string }[];
}

export interface LoadOptions {
  dtype?: 'f32' | 'f64';
  /** Seed of the model's s0 stream. */
  seed?: number;
}

/**
 * A Hugging Face model folder: config.json, model.safetensors or the sharded index, and (when
 * present) tokenizer.json. A config with an `rr` section is a retrofitted recurrent model.
 */
export function loadHfModel(dir: string, backend: Backend, options: LoadOptions = {}): LoadedModel {
  const configPath = join(dir, 'config.json');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new RRError('FILE_NOT_FOUND', `${dir}: not a model folder (expected a directory with config.json and model.safetensors).`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new RRError('CONFIG_INVALID', `${configPath}: cannot read the model config (${(e as Error).message}).`, {}, { cause: e });
  }
  // a plain config is checked before the weights are opened, so a bad one is what the error names
  const plain = isHuginnConfig(raw) ? undefined : parseHfConfig(raw, configPath);
  const stored = openModelWeights(dir);
  let config: ModelConfig;
  let structure: RecurrenceStructure | undefined;
  let weights: TensorSource = stored;
  if (plain) {
    config = plain;
    structure = raw.rr === undefined ? undefined : parseRrSection(raw.rr, config, configPath);
  } else {
    // the authors' release format: their names and stacked projections, read as rr's (its config needs the tensor names)
    try {
      ({ config, structure } = parseHuginnConfig(raw, new Set(stored.tensors.keys()), configPath));
      config = withTokenizerSpecialIds(config, dir);
      weights = huginnTensorSource(stored, config, structure, dir);
    } catch (e) {
      stored.close();
      throw e;
    }
  }
  try {
    const expected = expectedTensors(config, { adapter: structure !== undefined });
    const optional = new Set(config.tieWordEmbeddings ? [LM_HEAD] : []);
    const params = uploadWeights(weights, expected, backend, { dtype: options.dtype, origin: dir, optional });
    const tokenizer = loadTokenizer(dir, config);
    const tokenizerFiles = TOKENIZER_FILES.map((name) => ({ from: join(dir, name), as: name })).filter((f) =>
      statSync(f.from, { throwIfNoEntry: false })?.isFile(),
    );
    return { model: new RecurrentLM(config, params, structure, { seed: options.seed }), tokenizer, rawConfig: raw, source: dir, tokenizerFiles };
  } finally {
    weights.close();
  }
}

/**
 * A Huginn config may carry the from-scratch Huginn's BOS/EOS ids (its vocabulary is 65,536) next
 * to a base model's smaller one; ids outside the vocabulary are replaced by the tokenizer's own
 * (tokenizer_config.json's bos_token / eos_token, looked up in tokenizer.json's added tokens).
 */
function withTokenizerSpecialIds(config: ModelConfig, dir: string): ModelConfig {
  const inVocab = (id: number): boolean => Number.isInteger(id) && id >= 0 && id < config.vocabSize;
  if (inVocab(config.bosTokenId) && inVocab(config.eosTokenId)) return config;
  const read = (name: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const tokenizerConfig = read('tokenizer_config.json');
  const added = (read('tokenizer.json').added_tokens as { id: number; content: string }[] | undefined) ?? [];
  const idOf = (key: string, fallback: number): number => {
    const token = tokenizerConfig[key];
    const content = typeof token === 'string' ? token : (token as { content?: string } | undefined)?.content;
    return added.find((t) => t.content === content)?.id ?? fallback;
  };
  return {
    ...config,
    bosTokenId: inVocab(config.bosTokenId) ? config.bosTokenId : idOf('bos_token', 1),
    eosTokenId: inVocab(config.eosTokenId) ? config.eosTokenId : idOf('eos_token', 2),
  };
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'tokenizer.model', 'tokenizer.bin'];

/** tokenizer.json (Hugging Face), else tokenizer.bin (llama2.c, as surgery copies it), else none. */
function loadTokenizer(dir: string, config: ModelConfig): TextTokenizer | undefined {
  if (statSync(join(dir, 'tokenizer.json'), { throwIfNoEntry: false })) {
    return HfTokenizer.fromDirectory(dir, { bos: config.bosTokenId, eos: config.eosTokenId });
  }
  const bin = join(dir, 'tokenizer.bin');
  if (statSync(bin, { throwIfNoEntry: false })) return Llama2cTokenizer.fromFile(bin, config.vocabSize);
  return undefined;
}

/** The `rr` section surgery writes into config.json. */
export interface RrSection {
  plan: { prelude: number[]; block: number[]; coda: number[] };
  /** Index in the base model of each stored layer. */
  origin: number[];
  s0_std: number;
  init_scale: number;
  adapter_init?: string;
  base_model?: string;
  /** The plan in base-model layer indices (for reports). */
  base_plan?: { prelude: number[]; block: number[]; coda: number[] };
}

function parseRrSection(value: unknown, config: ModelConfig, source: string): RecurrenceStructure {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value) || !isObject(value.plan)) {
    throw new RRError(
      'CONFIG_INVALID',
      `${source}: the "rr" section must be an object with a "plan" of prelude, block and coda layer lists (as rr surgery writes it).`,
    );
  }
  const s = value as Partial<RrSection>;
  const scale = (v: unknown, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new RRError('CONFIG_INVALID', `${source}: rr.${name} must be a finite number >= 0, got ${JSON.stringify(v)}.`);
    return v;
  };
  const list = (v: unknown, name: string): number[] => {
    if (!Array.isArray(v) || v.some((i) => !Number.isInteger(i) || i < 0 || i >= config.numLayers)) {
      throw new RRError('CONFIG_INVALID', `${source}: rr.plan.${name} must be a list of layer indices in [0, ${config.numLayers}).`);
    }
    return v as number[];
  };
  const plan = s.plan!;
  const structure = {
    prelude: list(plan.prelude, 'prelude'),
    block: list(plan.block, 'block'),
    coda: list(plan.coda, 'coda'),
    s0Std: scale(s.s0_std, 's0_std', S0_STD),
    initScale: scale(s.init_scale, 'init_scale', 1),
  };
  if (structure.block.length === 0) throw new RRError('CONFIG_INVALID', `${source}: rr.plan.block is empty; a recurrent model needs at least one block layer.`);
  return structure;
}
