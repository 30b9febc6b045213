import type { ModelConfig } from './config.js';

/**
 * The tiny Llama shape the model tests run on (16 wide, 4 layers, 4 heads over 2 KV heads), kept
 * in one place so the tests agree on it; a test overrides only what it is about.
 */
export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    architecture: 'llama',
    hiddenSize: 16,
    numLayers: 4,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 4,
    intermediateSize: 24,
    vocabSize: 32,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 64,
    bosTokenId: 1,
    eosTokenId: 2,
    ...overrides,
  };
}
