import type { AdapterInit } from '@rr/surgery';
import type { RecurrenceCurriculumKind } from '@rr/curriculum';

/** Everything that decides what the demo trains and measures. */
export interface DemoConfig {
  readonly seed: number;
  readonly task: {
    /** Training problems generated (the packer cycles through them). */
    readonly trainSize: number;
    /** Inclusive range of moves per training problem. */
    readonly trainMoves: readonly [number, number];
    /** Move counts of the test blocks. */
    readonly testMoves: readonly number[];
    readonly testPerMoves: number;
    readonly maxStep: number;
  };
  readonly model: {
    readonly hiddenSize: number;
    readonly numLayers: number;
    readonly numHeads: number;
    readonly intermediateSize: number;
    /** Std of the random initialisation (initializeWeights; 0.02 trains far slower at this size). */
    readonly initStd: number;
  };
  /** Surgery plan (P,R,C) of the static model's layers. */
  readonly plan: string;
  readonly adapterInit: AdapterInit;
  /**
   * Multiplies the initial state's std (docs/method.md: sigma = sqrt(2 / (5 * 5280)), Huginn's formula
   * at Huginn's width). `'width'` applies the same formula at this model's width:
   * sqrt(5280 / hiddenSize), so the random start is as large relative to the state as in Huginn.
   */
  readonly initScale: number | 'width';
  /** Packed row length (tokens per row, the model's context in training) and rows per step. */
  readonly seq: number;
  readonly batch: number;
  readonly pretrain: { readonly steps: number; readonly muonLr: number; readonly adamLr: number };
  readonly postTrain: {
    /** Steps of the recurrent post-training; the static model continues for as many. */
    readonly steps: number;
    readonly muonLr: number;
    readonly adamLr: number;
    readonly curriculum: { readonly kind: RecurrenceCurriculumKind; readonly maxMean: number; readonly warmupFraction: number };
    readonly backpropDepth: number;
    /**
     * Recurrence tied to difficulty (moves-recurrence.ts): every batch holds walks of one move count
     * k and runs r = k + extra iterations, in place of the Poisson-lognormal sampler and its
     * curriculum. Unset: the paper's sampler with `curriculum`.
     */
    readonly tiedToMoves?: {
      readonly extra: number;
      /** Fraction of the post-training over which the move counts open up, shortest first (0: all from the start). */
      readonly difficultyRamp?: number;
    };
  };
  readonly eval: { readonly recurrences: readonly number[]; readonly maxNewTokens: number };
  /** The split the table is measured on: `test` (default) or `validation` (for choosing settings). */
  readonly evalSplit?: 'test' | 'validation';
  /** CPU threads for matmul (default: all cores). */
  readonly threads?: number;
}

/**
 * The demo (chosen on the validation split of seeds 1-3 before any test-split run of it). A 3-layer
 * static Llama of width 64 is pretrained on walks of 1-8 moves and cut into (1,1,1); the adapter
 * starts as [I | I], so the block reads state + embedding (the paper's "Add" adapter). Post-training
 * ties the recurrence to the difficulty: each batch holds walks of one move count k and runs the
 * block r = k times (truncated backprop depth 8), so the block is asked for one move per
 * iteration (moves-recurrence.ts). The test has walks of up to 12 moves, longer than any trained
 * on. The static copy trains on with the recurrent post-training's FLOPs at the same learning rates.
 *
 * What the validation runs said (r = 8 minus r = 1 at 12 moves, seeds 1, 2, 3; README lists every
 * setting tried): this config +9.3, +9.3, +8.0 points, but r = 16 (twice the deepest trained loop)
 * collapses and 2-move walks lose accuracy at r = 8; PyTorch's default adapter init +7.3, +4.0,
 * +4.0 with a loop that settles instead; the paper's Poisson-lognormal sampler at M = 8 +2.0 on
 * seed 1; the earlier width-32 config had 2-move walks at 50-67% (it had not learned one move
 * reliably), width 64 reaches 73-95%.
 */
export const DEMO_CONFIG: DemoConfig = {
  seed: 1,
  task: { trainSize: 60_000, trainMoves: [1, 8], testMoves: [2, 4, 6, 8, 10, 12], testPerMoves: 150, maxStep: 3 },
  model: { hiddenSize: 64, numLayers: 3, numHeads: 4, intermediateSize: 256, initStd: 0.1 },
  plan: '1,1,1',
  adapterInit: 'sum',
  initScale: 'width',
  seq: 64,
  batch: 16,
  pretrain: { steps: 2000, muonLr: 0.02, adamLr: 0.01 },
  postTrain: {
    steps: 600,
    muonLr: 0.01,
    adamLr: 0.005,
    // used by the Poisson-lognormal sampler when tiedToMoves is unset
    curriculum: { kind: 'linear', maxMean: 8, warmupFraction: 0.25 },
    backpropDepth: 8,
    tiedToMoves: { extra: 0 },
  },
  eval: { recurrences: [1, 2, 4, 8, 16], maxNewTokens: 4 },
};

/** A few seconds end to end: the same pipeline at toy scale (tests, CI). */
export const TINY_CONFIG: DemoConfig = {
  seed: 1,
  task: { trainSize: 200, trainMoves: [1, 3], testMoves: [2, 3], testPerMoves: 3, maxStep: 5 },
  model: { hiddenSize: 16, numLayers: 3, numHeads: 1, intermediateSize: 32, initStd: 0.1 },
  plan: '1,1,1',
  adapterInit: 'embed',
  initScale: 'width',
  seq: 32,
  batch: 2,
  pretrain: { steps: 3, muonLr: 0.02, adamLr: 0.01 },
  postTrain: {
    steps: 2,
    muonLr: 0.01,
    adamLr: 0.005,
    curriculum: { kind: 'linear', maxMean: 2, warmupFraction: 0.5 },
    backpropDepth: 1,
    tiedToMoves: { extra: 0 },
  },
  eval: { recurrences: [1, 2], maxNewTokens: 3 },
  threads: 1,
};
