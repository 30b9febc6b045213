import type { DemoConfig } from '@rr/example-demo';

/** Everything that sets the size of the claims suite's experiments. */
export interface Scale {
  readonly name: 'full' | 'tiny';
  readonly seeds: readonly number[];
  // The demo's task and model knobs, so a Scale can hand them to the demo's generators unchanged.
  readonly task: DemoConfig['task'];
  readonly model: DemoConfig['model'];
  readonly plan: string;
  readonly initScale: number;
  readonly seq: number;
  readonly batch: number;
  readonly pretrainSteps: number;
  readonly pretrainLr: { readonly muon: number; readonly adam: number };
  readonly postSteps: number;
  readonly postLr: { readonly muon: number; readonly adam: number };
  /** AdamW alone on every parameter (claim 5's baseline), at the AdamW group's rate of the Muon runs. */
  readonly adamwOnlyLr: number;
  /** The small and large mean recurrence of claim 1; the large one is every other claim's M. */
  readonly smallMean: number;
  readonly largeMean: number;
  readonly backpropDepth: number;
  readonly recurrences: readonly number[];
  readonly exitThresholds: readonly number[];
  readonly threads?: number;
}

/**
 * The full suite: the demo's task (walks of 1-8 moves, test up to 12) with a width-32 model (the demo's is 64) and a smaller
 * post-training budget per variant, 3 seeds. 37 minutes on 2 shared cores.
 */
export const FULL_SCALE: Scale = {
  name: 'full',
  seeds: [1, 2, 3],
  task: { trainSize: 60_000, trainMoves: [1, 8], testMoves: [2, 4, 6, 8, 10, 12], testPerMoves: 150, maxStep: 3 },
  model: { hiddenSize: 32, numLayers: 3, numHeads: 2, intermediateSize: 128, initStd: 0.1 },
  plan: '1,1,1',
  // sqrt(5280 / 32): docs/method.md's initial-state std formula at this width (as the demo's 'width')
  initScale: Math.sqrt(5280 / 32),
  seq: 64,
  batch: 16,
  pretrainSteps: 1200,
  pretrainLr: { muon: 0.02, adam: 0.01 },
  postSteps: 300,
  postLr: { muon: 0.01, adam: 0.005 },
  adamwOnlyLr: 0.005,
  smallMean: 2,
  largeMean: 8,
  backpropDepth: 8,
  recurrences: [1, 2, 4, 8, 16],
  exitThresholds: [1e-1, 1e-2, 1e-3, 5e-4, 1e-4],
};

/** Seconds: the same experiments at toy size (what CI runs); the verdicts mean nothing here. */
export const TINY_SCALE: Scale = {
  ...FULL_SCALE,
  name: 'tiny',
  seeds: [1, 2, 3],
  task: { trainSize: 200, trainMoves: [1, 3], testMoves: [2, 4], testPerMoves: 6, maxStep: 3 },
  model: { hiddenSize: 16, numLayers: 3, numHeads: 1, intermediateSize: 32, initStd: 0.1 },
  initScale: Math.sqrt(5280 / 16),
  seq: 32,
  batch: 2,
  pretrainSteps: 3,
  postSteps: 3,
  smallMean: 1,
  largeMean: 2,
  backpropDepth: 2,
  recurrences: [1, 2, 4],
  exitThresholds: [1e-2, 1e-4],
  threads: 1,
};
