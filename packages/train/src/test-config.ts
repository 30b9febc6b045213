import type { ModelConfig } from '@rr/model';

/** The sizes a training test picks; everything else about its model is the same in every test. */
export type TestShape = Pick<ModelConfig, 'hiddenSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'intermediateSize' | 'vocabSize'>;

/**
 * A small untied Llama config for the training tests, so they share one set of defaults
 * (norm epsilon, RoPE base, context, special tokens) and state only the sizes they depend on.
 */
export function testConfig(shape: TestShape): ModelConfig {
  return {
    architecture: 'llama',
    ...shape,
    rmsNormEps: 1e-5,
    ropeTheta: 10_000,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 64,
    bosTokenId: 1,
    eosTokenId: 2,
  };
}
