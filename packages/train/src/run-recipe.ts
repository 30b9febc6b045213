import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type Backend, RRError, type Tensor, keep } from '@rr/tensor';
import { type RecurrentLM, type TextTokenizer, initializeWeights, loadModel, RecurrentLM as Model } from '@rr/model';
import { PoissonLognormalSampler, type RecurrenceSampler, recurrenceCurriculum } from '@rr/curriculum';
import { AdamW, MuonWithAdamW, type Optimizer, warmupStableDecay } from '@rr/muon';
import { type Retrofitted, retrofit, saveModelFolder } from '@rr/surgery';
import { type HostTensor, type TrainerState, loadLatestCheckpoint, saveCheckpoint } from './checkpoint.js';
import { checkSource } from './data/documents.js';
import { START, TokenPacker } from './data/packer.js';
import { type EvalMetrics, MetricsLog, type StepMetrics } from './metrics.js';
import type { PhaseRecipe, Recipe } from './recipe.js';
import { type Schedule, Trainer, evaluateLoss } from './trainer.js';
import { partParams, stepsForBudget, trainingFlops } from './flops.js';

export interface RunOptions {
  backend: Backend;
  /** Continue from the run folder's latest checkpoint. */
  resume?: boolean;
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
  /** Training FLOPs of the whole run (METHOD.md's accounting), including steps before a resume. */
  flops: number;
  evals: EvalMetrics[];
  /** The trained model folder (written at the end of the run). */
  modelDir: string | undefined;
}

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
  const checkpoint = options.resume ? loadLatestCheckpoint(recipe.out) : undefined;
  if (checkpoint && checkpoint.state.recipeHash !== hash) {
    throw new RRError('RESUME_MISMATCH', `${checkpoint.path}: was written by a different recipe; resume with the recipe that started the run, or start a new run in another "out" folder.`);
  }
  const { model, tokenizer, retrofitted, tokenizerFiles } = buildModel(recipe, options.backend);
  if (checkpoint) restoreParams(model, checkpoint.params, checkpoint.path);
  const log = new MetricsLog(join(recipe.out, 'metrics.jsonl'));
  const phaseSteps = recipe.phases.map((p, i) => resolveSteps(p, i, model));
  const summary: RunSummary = { steps: 0, interrupted: false, lastLoss: undefined, flops: checkpoint?.state.flops ?? 0, evals: [], modelDir: undefined };
  const totalSteps = phaseSteps.reduce((s, n) => s + n, 0);
  let globalStep = checkpoint?.state.step ?? 0;

  for (let phaseIndex = checkpoint?.state.phase ?? 0; phaseIndex < recipe.phases.length; phaseIndex++) {
    const phase = recipe.phases[phaseIndex]!;
    const steps = phaseSteps[phaseIndex]!;
    const resumeHere = checkpoint && checkpoint.state.phase === phaseIndex;
    const optimizer = options.optimizer?.(phase, phaseIndex) ?? makeOptimizer(phase);
    const seed = recipe.seed + 1000 * phaseIndex;
    const data = new TokenPacker(phase.data, tokenizer, phase.seq + 1, resumeHere ? checkpoint.state.data : START);
    const trainer = new Trainer({
      model,
      optimizer,
      sampler: options.sampler?.(phase, seed) ?? new PoissonLognormalSampler({ seed, backpropDepth: phase.curriculum.backpropDepth }),
      curriculum:
        options.curriculum?.(phase) ??
        recurrenceCurriculum({ kind: phase.curriculum.kind, maxMean: phase.curriculum.maxMean, warmupFraction: phase.curriculum.warmupFraction, totalSteps: steps }),
      lrSchedule: warmupStableDecay({ totalSteps: steps, warmupFraction: phase.lr.warmup, cooldownFraction: phase.lr.cooldown }),
      data,
      batch: phase.batch,
      gradAccum: phase.gradAccum,
      clip: phase.optimizer.clip,
      seed,
      phase: phase.name,
      ...(phase.flops !== undefined ? { flopsBudget: phase.flops } : {}),
    });
    if (resumeHere) {
      trainer.step = checkpoint.state.phaseStep;
      trainer.flops = checkpoint.state.phaseFlops ?? 0;
      if (trainer.step > 0) optimizer.load(uploadState(options.backend, checkpoint.optimizer));
    }
    const save = async (): Promise<void> => {
      const state: TrainerState = { step: globalStep, phase: phaseIndex, phaseStep: trainer.step, data: data.position, recipeHash: hash, flops: summary.flops, phaseFlops: trainer.flops };
      await saveCheckpoint(recipe.out, { params: model.params, optimizer: optimizer.state(), state }, recipe.checkpoint.keep);
    };
    const evaluate = async (): Promise<void> => {
      if (!phase.eval) return;
      const recurrence = phase.eval.recurrence ?? phase.curriculum.maxMean;
      const evalData = new TokenPacker(phase.eval.data, tokenizer, phase.seq + 1);
      const loss = await evaluateLoss(model, evalData, { batch: phase.batch, batches: phase.eval.batches, recurrence, seed: recipe.seed });
      const m: EvalMetrics = { step: globalStep, phase: phase.name, eval_loss: loss, recurrence };
      log.write(m);
      summary.evals.push(m);
      options.onEval?.(m);
    };
    if (trainer.step === 0 && phaseIndex === 0) await evaluate();
    while (trainer.step < steps && !trainer.budgetReached) {
      if (options.signal?.aborted) {
        await save();
        summary.interrupted = true;
        return summary;
      }
      const m = await trainer.trainStep();
      globalStep++;
      summary.steps++;
      summary.lastLoss = m.loss;
      summary.flops += m.flops;
      const record = { ...m, step: globalStep, total_flops: summary.flops };
      log.write(record);
      options.onStep?.(record, totalSteps);
      if (phase.eval && trainer.step % phase.eval.every === 0) await evaluate();
      if (trainer.step % recipe.checkpoint.every === 0 && trainer.step < steps && !trainer.budgetReached) await save();
    }
    if (phase.eval && trainer.step % phase.eval.every !== 0) await evaluate();
    // the phase boundary: the next phase starts with fresh schedules and optimizer
    const next: TrainerState = { step: globalStep, phase: phaseIndex + 1, phaseStep: 0, data: START, recipeHash: hash, flops: summary.flops, phaseFlops: 0 };
    await saveCheckpoint(recipe.out, { params: model.params, optimizer: {}, state: next }, recipe.checkpoint.keep);
    (optimizer as Partial<{ dispose(): void }>).dispose?.();
  }
  summary.modelDir = join(recipe.out, 'model');
  await saveModel(summary.modelDir, model, retrofitted, tokenizerFiles, recipe);
  return summary;
}

/**
 * A phase's step count: its `steps`, or for a static model with only a FLOPs budget, the steps that
 * spend it (a static step always costs the same). A recurrent phase's step cost depends on the
 * sampled recurrence, so it needs `steps` for the length of its schedules.
 */
function resolveSteps(phase: PhaseRecipe, index: number, model: RecurrentLM): number {
  if (phase.steps !== undefined) return phase.steps;
  if (model.isRecurrent) {
    throw new RRError('RECIPE_INVALID', `phases[${index}] ("${phase.name}"): a recurrent model's phase with a flops budget also needs steps (the length of its curriculum and LR schedule; the budget may end it earlier).`);
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
  if (!m.plan) return { model: base, tokenizer: loaded.tokenizer, retrofitted: undefined, tokenizerFiles };
  const r = retrofit(base, m.plan, { adapterInit: m.adapterInit, initScale: m.initScale, seed: recipe.seed });
  return { model: r.model, tokenizer: loaded.tokenizer, retrofitted: r, tokenizerFiles };
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
      throw new RRError('CHECKPOINT_INVALID', `${source}: parameter ${name} is missing or has the wrong size; the checkpoint does not belong to this recipe's model.`);
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

async function saveModel(dir: string, model: RecurrentLM, retrofitted: Retrofitted | undefined, tokenizerFiles: { from: string; as: string }[], recipe: Recipe): Promise<void> {
  await saveModelFolder(dir, model, {
    tokenizerFiles,
    baseModel: recipe.model.path,
    force: true,
    ...(retrofitted ? { origin: retrofitted.origin, adapterInit: retrofitted.adapterInit, basePlan: retrofitted.plan } : {}),
  });
}
