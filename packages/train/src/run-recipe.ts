import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Backend, RRError, type Tensor, keep, statPath } from '@rr/tensor';
import {
  EMBED,
  LM_HEAD,
  type RecurrentLM,
  type TextTokenizer,
  checkContext,
  checkMemory,
  estimateMemory,
  initializeWeights,
  loadModel,
  RecurrentLM as Model,
} from '@rr/model';
import { PoissonLognormalSampler, type RecurrenceSampler, type Schedule, recurrenceCurriculum } from '@rr/curriculum';
import { AdamW, MuonWithAdamW, type Optimizer, type OptimizerState, warmupStableDecay } from '@rr/muon';
import { type Retrofitted, retrofit, saveModelFolder } from '@rr/surgery';
import { type HostTensor, type LoadedCheckpoint, type TrainerState, loadLatestCheckpoint, removeStaleTemps, saveCheckpoint } from './checkpoint.js';
import { checkSource } from './data/documents.js';
import { type DataPosition, type MixShare, START, TokenPacker } from './data/packer.js';
import { type EvalMetrics, MetricsLog, type StepMetrics } from './metrics.js';
import type { PhaseRecipe, Recipe } from './recipe.js';
import { Trainer, evaluateLoss } from './trainer.js';
import { partParams, stepsForBudget, trainingFlops } from './flops.js';

export interface RunOptions {
  backend: Backend;
  /** Continue from the run folder's latest checkpoint. */
  resume?: boolean;
  /** Without `resume`, start over in a run folder that already holds a run (else refused). */
  force?: boolean;
  /** Memory the run may use; a recipe whose estimate exceeds it is refused before any work. */
  memoryBytes?: number;
  /** Aborting finishes the current step, writes a checkpoint and returns (SIGINT). */
  signal?: AbortSignal;
  onStep?: (m: StepMetrics, totalSteps: number) => void;
  onEval?: (m: EvalMetrics) => void;
  /** Replaces the recipe's optimizer (any `Optimizer`: checkpoints save and restore its state). */
  optimizer?: (phase: PhaseRecipe, phaseIndex: number) => Optimizer;
  /** Replaces the Poisson-lognormal sampler; `seed` is the run's seed for this phase. */
  sampler?: (phase: PhaseRecipe, seed: number) => RecurrenceSampler;
  /** Replaces the curriculum on the mean recurrence. */
  curriculum?: (phase: PhaseRecipe) => Schedule;
}

export interface RunSummary {
  steps: number;
  interrupted: boolean;
  lastLoss: number | undefined;
  /** Training FLOPs of the whole run (docs/method.md's accounting), including steps before a resume. */
  flops: number;
  evals: EvalMetrics[];
  /** The trained model folder (written at the end of the run). */
  modelDir: string | undefined;
  /** Per phase trained in this call: the data mix asked for and realised (also in metrics.jsonl as `data_mix`). */
  mix: { phase: string; sources: MixShare[] }[];
}

/** Recurrences the held-out loss is reported at unless the recipe says otherwise (docs/method.md's sweep). */
export const EVAL_RECURRENCES: readonly number[] = [1, 2, 4, 8, 16, 32];

/**
 * Runs a recipe: builds the model (pretrained or fresh weights; retrofitted when the recipe has a
 * plan, else the static baseline), then each phase with its own curriculum, LR schedule and
 * optimizer (both restart at a phase boundary), writing metrics.jsonl, checkpoints every N steps
 * and on abort, and the trained model at the end. With `resume`, continues from the latest
 * checkpoint exactly where it stopped.
 */
export async function runRecipe(recipe: Recipe, options: RunOptions): Promise<RunSummary> {
  for (const [i, p] of recipe.phases.entries()) {
    for (const d of p.data) checkSource(d, `phases[${i}].data`);
    for (const d of p.eval?.data ?? []) checkSource(d, `phases[${i}].eval.data`);
  }
  const hash = recipeHash(recipe);
  prepareRunFolder(recipe.out, options);
  const checkpoint = options.resume ? loadLatestCheckpoint(recipe.out) : undefined;
  if (checkpoint && checkpoint.state.recipeHash !== hash) {
    throw new RRError(
      'RESUME_MISMATCH',
      `${checkpoint.path}: was written by a different recipe; resume with the recipe that started the run, or start a new run in another "out" folder.`,
    );
  }
  const { model, tokenizer, retrofitted, tokenizerFiles } = buildModel(recipe, options.backend);
  checkRecipeLimits(recipe, model, options.memoryBytes);
  if (checkpoint) restoreParams(model, checkpoint.params, checkpoint.path);
  const log = new MetricsLog(join(recipe.out, 'metrics.jsonl'));
  // the steps after the checkpoint run again: their lines from before the stop must not stay twice
  log.truncateAfter(checkpoint?.state.step);
  const phaseSteps = recipe.phases.map((p, i) => resolveSteps(p, i, model));
  const run: Run = {
    recipe,
    options,
    model,
    tokenizer,
    hash,
    log,
    summary: { steps: 0, interrupted: false, lastLoss: undefined, flops: checkpoint?.state.flops ?? 0, evals: [], modelDir: undefined, mix: [] },
    phaseSteps,
    totalSteps: phaseSteps.reduce((s, n) => s + n, 0),
    globalStep: checkpoint?.state.step ?? 0,
    carried: START,
  };
  for (let phaseIndex = checkpoint?.state.phase ?? 0; phaseIndex < recipe.phases.length; phaseIndex++) {
    const resumeHere = checkpoint && checkpoint.state.phase === phaseIndex ? checkpoint : undefined;
    if ((await runPhase(run, phaseIndex, resumeHere)) === 'interrupted') {
      run.summary.interrupted = true;
      return run.summary;
    }
  }
  run.summary.modelDir = join(recipe.out, 'model');
  await saveModel(run.summary.modelDir, model, retrofitted, tokenizerFiles, recipe);
  return run.summary;
}

/** What the phases of one run share; `globalStep` and `summary` advance as they train. */
interface Run {
  readonly recipe: Recipe;
  readonly options: RunOptions;
  readonly model: RecurrentLM;
  readonly tokenizer: TextTokenizer;
  readonly hash: string;
  readonly log: MetricsLog;
  readonly summary: RunSummary;
  /** Each phase's step count (its `steps`, or what a static model's FLOPs budget buys). */
  readonly phaseSteps: readonly number[];
  readonly totalSteps: number;
  globalStep: number;
  /** Where the previous phase stopped in each data source: the next phase continues there. */
  carried: DataPosition;
}

/**
 * Trains phase `phaseIndex` to its last step (from `resume`'s position when the checkpoint was
 * written inside this phase), evaluating and checkpointing on the recipe's cadence. Ends with the
 * phase-boundary checkpoint, or with an abort checkpoint and 'interrupted'.
 */
async function runPhase(run: Run, phaseIndex: number, resume: LoadedCheckpoint | undefined): Promise<'done' | 'interrupted'> {
  const { recipe, options } = run;
  const phase = recipe.phases[phaseIndex]!;
  const steps = run.phaseSteps[phaseIndex]!;
  const optimizer = options.optimizer?.(phase, phaseIndex) ?? makeOptimizer(phase);
  try {
    const seed = recipe.seed + 1000 * phaseIndex;
    const data = new TokenPacker(phase.data, run.tokenizer, phase.seq + 1, {
      position: resume ? resume.state.data : run.carried,
      seed: recipe.seed,
      shuffle: phase.shuffle,
      mixBy: phase.mixBy,
    });
    const trainer = new Trainer({
      model: run.model,
      optimizer,
      sampler: options.sampler?.(phase, seed) ?? new PoissonLognormalSampler({ seed, backpropDepth: phase.curriculum.backpropDepth }),
      curriculum:
        options.curriculum?.(phase) ??
        recurrenceCurriculum({
          kind: phase.curriculum.kind,
          maxMean: phase.curriculum.maxMean,
          warmupFraction: phase.curriculum.warmupFraction,
          totalSteps: steps,
        }),
      lrSchedule: warmupStableDecay({ totalSteps: steps, warmupFraction: phase.lr.warmup, cooldownFraction: phase.lr.cooldown }),
      data,
      batch: phase.batch,
      gradAccum: phase.gradAccum,
      clip: phase.optimizer.clip,
      seed,
      phase: phase.name,
      ...(phase.flops !== undefined ? { flopsBudget: phase.flops } : {}),
    });
    if (resume) {
      trainer.step = resume.state.phaseStep;
      trainer.flops = resume.state.phaseFlops ?? 0;
      if (trainer.step > 0) optimizer.load(uploadState(options.backend, resume.optimizer));
    }
    const save = (): Promise<void> =>
      saveRunCheckpoint(
        run,
        {
          step: run.globalStep,
          phase: phaseIndex,
          phaseStep: trainer.step,
          data: data.position,
          recipeHash: run.hash,
          flops: run.summary.flops,
          phaseFlops: trainer.flops,
        },
        optimizer.state(),
      );
    if (trainer.step === 0 && phaseIndex === 0) await evaluatePhase(run, phase);
    while (trainer.step < steps && !trainer.budgetReached) {
      if (options.signal?.aborted) {
        await save();
        return 'interrupted';
      }
      const m = await trainer.trainStep();
      run.globalStep++;
      run.summary.steps++;
      run.summary.lastLoss = m.loss;
      run.summary.flops += m.flops;
      const record = { ...m, step: run.globalStep, total_flops: run.summary.flops };
      run.log.write(record);
      options.onStep?.(record, run.totalSteps);
      if (phase.eval && trainer.step % phase.eval.every === 0) await evaluatePhase(run, phase);
      if (trainer.step % recipe.checkpoint.every === 0 && trainer.step < steps && !trainer.budgetReached) await save();
    }
    if (phase.eval && trainer.step % phase.eval.every !== 0) await evaluatePhase(run, phase);
    const mix = { phase: phase.name, sources: data.mix() };
    run.log.write({ step: run.globalStep, phase: phase.name, data_mix: mix.sources });
    run.summary.mix.push(mix);
    // the phase boundary: the next phase starts with fresh schedules and optimizer, and where this one stopped in the data
    run.carried = await data.continuation();
    await saveRunCheckpoint(
      run,
      { step: run.globalStep, phase: phaseIndex + 1, phaseStep: 0, data: run.carried, recipeHash: run.hash, flops: run.summary.flops, phaseFlops: 0 },
      {},
    );
    return 'done';
  } finally {
    optimizer.dispose();
  }
}

/** The model's parameters, the optimizer's state and where training stands, as the run's newest checkpoint. */
async function saveRunCheckpoint(run: Run, state: TrainerState, optimizer: OptimizerState): Promise<void> {
  await saveCheckpoint(run.recipe.out, { params: run.model.params, optimizer, state }, run.recipe.checkpoint.keep);
}

/** The phase's held-out loss at each evaluation recurrence (r = 1 for a static model), logged at the current global step. */
async function evaluatePhase(run: Run, phase: PhaseRecipe): Promise<void> {
  if (!phase.eval) return;
  const recurrences = run.model.isRecurrent ? (phase.eval.recurrences ?? (phase.eval.recurrence ? [phase.eval.recurrence] : EVAL_RECURRENCES)) : [1];
  for (const recurrence of recurrences) {
    // the same held-out rows at every r, so the losses compare
    const evalData = new TokenPacker(phase.eval.data, run.tokenizer, phase.seq + 1);
    const loss = await evaluateLoss(run.model, evalData, { batch: phase.batch, batches: phase.eval.batches, recurrence, seed: run.recipe.seed });
    const m: EvalMetrics = { step: run.globalStep, phase: phase.name, eval_loss: loss, recurrence };
    run.log.write(m);
    run.summary.evals.push(m);
    run.options.onEval?.(m);
  }
}

/**
 * The run folder before a run: temp folders of checkpoint writes that a kill interrupted are
 * removed, and a folder that already holds a run is refused unless the caller resumes it or
 * starts over on purpose (`force` deletes its checkpoints, metrics and trained model).
 */
function prepareRunFolder(out: string, options: RunOptions): void {
  const existing = statPath(out);
  if (existing && !existing.isDirectory()) {
    throw new RRError(
      'FILE_EXISTS',
      `${out}: the recipe's "out" names an existing file; the run needs a folder there. Choose another "out", or remove the file.`,
      { path: out },
    );
  }
  removeStaleTemps(out);
  const held = RUN_FILES.filter((f) => existsSync(join(out, f)));
  if (held.length === 0 || options.resume) return;
  if (!options.force) {
    throw new RRError('RUN_EXISTS', `${out} already holds a run (${held.join(', ')}); pass --resume to continue it, or --force to start over and delete it.`, {
      path: out,
    });
  }
  for (const f of held) rmSync(join(out, f), { recursive: true, force: true });
}

const RUN_FILES = ['metrics.jsonl', 'checkpoints', 'model'];

const MAX_TOKENS_PER_STEP = 2 ** 31 - 1;

/** Context and memory of every phase, checked before any work (the packer would allocate batch x seq at once). */
function checkRecipeLimits(recipe: Recipe, model: RecurrentLM, memoryBytes: number | undefined): void {
  for (const [i, p] of recipe.phases.entries()) {
    checkContext(model.config, p.seq, `phases[${i}].seq = ${p.seq}`, { fix: `Set seq to at most ${model.config.maxPositionEmbeddings}.` });
    if (memoryBytes !== undefined) {
      const shape = {
        batch: p.batch,
        seq: p.seq,
        recurrence: p.curriculum.maxMean,
        recordedSteps: p.curriculum.backpropDepth,
        allLogits: true,
        optimizerSlots: 3,
      };
      checkMemory(
        estimateMemory(model, shape),
        memoryBytes,
        `phases[${i}] (batch ${p.batch} x seq ${p.seq}, ${p.curriculum.backpropDepth} recorded recurrence steps)`,
        'Lower batch (raise gradAccum to keep the tokens per step), seq or curriculum.backpropDepth.',
      );
    }
    // token counts index typed arrays and counters: beyond 2^31 they are a typo, not a run
    for (const [what, tokens] of [
      ['batch x gradAccum x seq', p.batch * p.gradAccum * p.seq],
      ['eval.batches x batch x seq', (p.eval?.batches ?? 0) * p.batch * p.seq],
    ] as const) {
      if (tokens > MAX_TOKENS_PER_STEP) {
        throw new RRError(
          'RECIPE_INVALID',
          `phases[${i}]: ${what} = ${tokens} tokens is more than rr processes in one step (${MAX_TOKENS_PER_STEP}); lower batch, gradAccum or eval.batches.`,
        );
      }
    }
  }
}

/**
 * A phase's step count: its `steps`, or for a static model with only a FLOPs budget, the steps that
 * spend it (a static step always costs the same). A recurrent phase's step cost depends on the
 * sampled recurrence, so it needs `steps` for the length of its schedules.
 */
function resolveSteps(phase: PhaseRecipe, index: number, model: RecurrentLM): number {
  if (phase.steps !== undefined) return phase.steps;
  if (model.isRecurrent) {
    throw new RRError(
      'RECIPE_INVALID',
      `phases[${index}] ("${phase.name}"): a recurrent model's phase with a flops budget also needs steps (the length of its curriculum and LR schedule; the budget may end it earlier).`,
    );
  }
  const perStep = trainingFlops(partParams(model), phase.batch * phase.seq, 0, 0) * phase.gradAccum;
  return stepsForBudget(phase.flops!, perStep);
}

function recipeHash(recipe: Recipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 16);
}

interface BuiltModel {
  model: RecurrentLM;
  tokenizer: TextTokenizer;
  retrofitted: Retrofitted | undefined;
  tokenizerFiles: { from: string; as: string }[];
}

function buildModel(recipe: Recipe, backend: Backend): BuiltModel {
  const m = recipe.model;
  const loaded = loadModel(m.path, backend, m.tokenizer ? { tokenizerPath: m.tokenizer } : {});
  if (!loaded.tokenizer) {
    throw new RRError('TOKENIZER_MISSING', `${m.path}: no tokenizer found (tokenizer.json or a llama2.c tokenizer .bin); set model.tokenizer in the recipe.`);
  }
  let base = loaded.model;
  if (m.init === 'random') {
    const fresh = initializeWeights(base.config, backend, { seed: recipe.seed });
    base.dispose();
    base = new Model(base.config, fresh);
  }
  const tokenizerFiles = loaded.tokenizerFiles;
  if (!m.plan) return { model: m.untieEmbeddings ? untied(base) : base, tokenizer: loaded.tokenizer, retrofitted: undefined, tokenizerFiles };
  const r = retrofit(base, m.plan, { adapterInit: m.adapterInit, initScale: m.initScale, seed: recipe.seed });
  return { model: r.model, tokenizer: loaded.tokenizer, retrofitted: r, tokenizerFiles };
}

/** A tied model with its own LM head, a copy of the embedding (the reference's untied static baseline). */
function untied(model: RecurrentLM): RecurrentLM {
  if (!model.config.tieWordEmbeddings || model.params.has(LM_HEAD)) return model;
  const embed = model.param(EMBED);
  const params = new Map(model.params);
  params.set(LM_HEAD, keep(embed.backend.cast(embed, embed.dtype)));
  return new Model({ ...model.config, tieWordEmbeddings: false }, params, model.structure);
}

function makeOptimizer(phase: PhaseRecipe): Optimizer {
  const o = phase.optimizer;
  const adamw = { lr: o.adamLr, betas: o.adamBetas, eps: o.adamEps, weightDecay: o.adamWeightDecay };
  return o.kind === 'adamw' ? new AdamW(adamw) : new MuonWithAdamW({ muon: { lr: o.muonLr, weightDecay: o.muonWeightDecay, momentum: o.momentum }, adamw });
}

function restoreParams(model: RecurrentLM, params: Map<string, HostTensor>, source: string): void {
  for (const [name, t] of model.params) {
    const data = params.get(name)?.data;
    if (!data || data.length !== t.size) {
      throw new RRError(
        'CHECKPOINT_INVALID',
        `${source}: parameter ${name} is missing or has the wrong size; the checkpoint does not belong to this recipe's model.`,
      );
    }
    const uploaded = t.backend.upload(data, t.shape, t.dtype);
    t.backend.assign(t, uploaded);
    uploaded.dispose();
  }
}

function uploadState(backend: Backend, state: Map<string, HostTensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, { shape, data }] of state) out[name] = keep(backend.upload(data, shape, 'f32'));
  return out;
}

async function saveModel(
  dir: string,
  model: RecurrentLM,
  retrofitted: Retrofitted | undefined,
  tokenizerFiles: { from: string; as: string }[],
  recipe: Recipe,
): Promise<void> {
  await saveModelFolder(dir, model, {
    tokenizerFiles,
    baseModel: recipe.model.path,
    force: true,
    format: recipe.saveFormat,
    // the authors' code recurs mean_recurrence times when no r is given: the M the run ended with
    meanRecurrence: recipe.phases[recipe.phases.length - 1]!.curriculum.maxMean,
    ...(retrofitted ? { origin: retrofitted.origin, adapterInit: retrofitted.adapterInit, basePlan: retrofitted.plan } : {}),
  });
}
