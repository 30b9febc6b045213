export { type ModelConfig, type Architecture, parseHfConfig, toHfConfig, parseRopeScaling } from './config.js';
export { HUGINN_MODEL_TYPE, HUGINN_ARCHITECTURE, isHuginnConfig, parseHuginnConfig, toHuginnConfig, huginnTensorGroups, huginnTensorSource } from './huginn.js';
export { type LayerNames, layerNames, expectedTensors, EMBED, FINAL_NORM, LM_HEAD, ADAPTER } from './names.js';
export { decoderLayer, type LayerCacheSlot } from './layer.js';
export { RecurrentLM, type RecurrenceStructure, type ForwardOptions, S0_STD, staticStructure } from './recurrent-lm.js';
export { KVCache } from './kv-cache.js';
export { generate, type GenerateOptions, type Generation } from './generate.js';
export {
  decodeTokenWithAdaptiveExit,
  generateWithAdaptiveExit,
  type AdaptiveExitOptions,
  type AdaptiveStep,
  type AdaptiveGenerateOptions,
  type AdaptiveGeneration,
} from './adaptive-exit.js';
export type { TextTokenizer } from './tokenizer/tokenizer.js';
export { HfTokenizer } from './tokenizer/hf.js';
export { Llama2cTokenizer } from './tokenizer/llama2c.js';
export { CharTokenizer } from './tokenizer/char.js';
export { loadHfModel, type LoadedModel, type LoadOptions, type RrSection } from './loaders/hf.js';
export { loadLlama2cModel } from './loaders/llama2c.js';
export { uploadWeights } from './loaders/weights.js';
export { loadModel } from './loaders/load.js';
export { initializeWeights } from './init.js';
export { MAX_RECURRENCE, checkContext, checkMemory, checkRecurrence, estimateMemory, formatBytes, type MemoryEstimate, type RunShape } from './limits.js';
