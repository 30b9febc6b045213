/**
 * The paper's training runs as @rr/train recipes (docs/method.md section 2, with the step counts and
 * data of the authors' launch scripts). The files in ../recipes are written from here by
 * `node dist/write-recipes.js`; a test keeps them equal and checks every constant against
 * docs/method.md. Paths are relative to the recipes folder: put (or link) the models under
 * ../models and the data under ../data as the README lists.
 */

export type PaperModel = 'tinyllama' | 'llama-3.2-1b' | 'olmo-2-1b';

export const PAPER_MODELS: Record<PaperModel, { path: string; plan: string; untieStatic: boolean }> = {
  tinyllama: { path: '../models/TinyLlama-1.1B-intermediate-step-1431k-3T', plan: '4,8,4', untieStatic: false },
  // the reference unties Llama-3.2's embedding for its static baseline (a retrofit is untied anyway)
  'llama-3.2-1b': { path: '../models/Llama-3.2-1B', plan: '4,6,4', untieStatic: true },
  'olmo-2-1b': { path: '../models/OLMo-2-0425-1B', plan: '4,6,4', untieStatic: false },
};

/** The data each run reads, as folders of parquet shards with a `text` column. */
export const PAPER_DATA = {
  /** FineWeb-Edu: phase 1 ("healing") and the general third of phase 2. */
  general: '../data/fineweb-edu',
  /** Nemotron-CC-Math (4+): the math-only runs. */
  math: '../data/nemotron-cc-math',
  /** Math instruction data (Nemotron post-training math, rendered to text): a third of phase 2. */
  instructMath: '../data/nemotron-sft-math',
  /** General instruction data (Nemotron post-training general, rendered to text): a third of phase 2. */
  instructGeneral: '../data/nemotron-sft-general',
  /** A held-out shard of the training text, for the held-out loss at several r. */
  heldOut: '../data/held-out',
} as const;

export const MATH_MEANS = [4, 8, 16, 32] as const;

export type RunKind = 'recurrent' | 'static' | 'adamw';

export interface PaperRun {
  /** File name in ../recipes (without .json) and the run's name. */
  name: string;
  model: PaperModel;
  family: 'two-phase' | 'math';
  kind: RunKind;
  /** Math-only runs: the curriculum's M. */
  maxMean?: number;
  recipe: Record<string, unknown>;
}

const SHAPE = { seq: 1024, batch: 8, gradAccum: 128 }; // 1024 rows of 1024 tokens: ~1M tokens per step
const HELD_OUT_R = [1, 2, 4, 8, 16, 32];

function optimizer(kind: RunKind): Record<string, unknown> {
  return kind === 'adamw'
    ? { kind: 'adamw', adamLr: 5e-5, adamBetas: [0.9, 0.95], adamEps: 1e-8, adamWeightDecay: 1e-4, clip: 1 }
    : {
        kind: 'muon',
        muonLr: 1e-3,
        muonWeightDecay: 1e-4,
        momentum: 0.95,
        adamLr: 5e-5,
        adamBetas: [0.9, 0.95],
        adamEps: 1e-10,
        adamWeightDecay: 1e-4,
        clip: 1,
      };
}

function phase(
  name: string,
  steps: number,
  data: Record<string, unknown>[],
  kind: RunKind,
  curriculum: Record<string, unknown>,
  lr: { warmup: number; cooldown: number },
): Record<string, unknown> {
  return {
    name,
    steps,
    data,
    shuffle: true,
    // the reference evens its mix in packed rows, i.e. in tokens
    ...(data.length > 1 ? { mixBy: 'tokens' } : {}),
    ...SHAPE,
    optimizer: optimizer(kind),
    lr,
    curriculum: { ...curriculum, backpropDepth: 8 },
    eval: { data: [{ path: PAPER_DATA.heldOut }], every: 1000, batches: 16, recurrences: kind === 'static' ? [1] : HELD_OUT_R },
  };
}

function model(m: PaperModel, kind: RunKind): Record<string, unknown> {
  const spec = PAPER_MODELS[m];
  return kind === 'static'
    ? { path: spec.path, untieEmbeddings: spec.untieStatic }
    : { path: spec.path, plan: spec.plan, adapterInit: 'default', initScale: 1 };
}

function recipe(name: string, m: PaperModel, kind: RunKind, phases: Record<string, unknown>[]): Record<string, unknown> {
  return {
    name,
    seed: 0,
    out: `../runs/${name}`,
    model: model(m, kind),
    phases,
    saveFormat: kind === 'static' ? 'rr' : 'huginn',
    checkpoint: { every: 1000, keep: 3 },
  };
}

const SUFFIX: Record<RunKind, string> = { recurrent: '', static: '-static', adamw: '-adamw' };

/** Every paper run: per model, two-phase and math-only at each M, each with its static and AdamW-only baselines. */
export function paperRuns(): PaperRun[] {
  const runs: PaperRun[] = [];
  for (const m of Object.keys(PAPER_MODELS) as PaperModel[]) {
    for (const kind of ['recurrent', 'static', 'adamw'] as const) {
      // two-phase: heal on general text with M = 32, then an even mix of general, math and instruction text with M = 4
      const name = `${m}-two-phase${SUFFIX[kind]}`;
      const lr = { warmup: 0.005, cooldown: 0.9 };
      runs.push({
        name,
        model: m,
        family: 'two-phase',
        kind,
        recipe: recipe(name, m, kind, [
          phase('healing', 25_000, [{ path: PAPER_DATA.general }], kind, { kind: 'linear', maxMean: 32, warmupFraction: 0.25 }, lr),
          phase(
            'mix',
            25_000,
            [
              { path: PAPER_DATA.general, weight: 1 },
              { path: PAPER_DATA.instructMath, weight: 1 },
              { path: PAPER_DATA.instructGeneral, weight: 1 },
            ],
            kind,
            { kind: 'linear', maxMean: 4, warmupFraction: 0.25 },
            lr,
          ),
        ]),
      });
    }
    // math-only: a slow-start curriculum over 75% of training to M, cool-down 0.6; the static model has no M
    const math = (kind: RunKind, M: number, name: string): PaperRun => ({
      name,
      model: m,
      family: 'math',
      kind,
      ...(kind === 'static' ? {} : { maxMean: M }),
      recipe: recipe(name, m, kind, [
        phase('math', 50_000, [{ path: PAPER_DATA.math }], kind, { kind: '1-sqrt', maxMean: M, warmupFraction: 0.75 }, { warmup: 0.0025, cooldown: 0.6 }),
      ]),
    });
    for (const M of MATH_MEANS) {
      runs.push(math('recurrent', M, `${m}-math-M${M}`));
      runs.push(math('adamw', M, `${m}-math-M${M}-adamw`));
    }
    runs.push(math('static', 4, `${m}-math-static`));
  }
  return runs;
}
