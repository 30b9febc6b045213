import { type Backend, Rng, type Tensor, keep, noGrad, scope, writeFileAtomically } from '@rr/tensor';
import { CharTokenizer, RecurrentLM, initializeWeights } from '@rr/model';
import { retrofit } from '@rr/surgery';
import { AdamW, MuonWithAdamW, type Optimizer, warmupStableDecay } from '@rr/muon';
import { FixedSampler, PoissonLognormalSampler, recurrenceCurriculum } from '@rr/curriculum';
import { TokenPacker, Trainer, partParams, stepsForBudget, trainingFlops } from '@rr/train';
import { type DemoConfig, TRAINING_COMPLETION, TRAINING_PROMPT, WALK_ALPHABET, type WalkProblem, makeModelConfig, trainingText } from '@rr/example-demo';
import type { Scale } from './scale.js';

export const tokenizer = new CharTokenizer(WALK_ALPHABET);

/** One post-training run of a variant: its model, FLOPs, wall time and loss per step. */
export interface Trained {
  readonly model: RecurrentLM;
  readonly flops: number;
  readonly seconds: number;
  readonly steps: number;
  readonly losses: readonly number[];
  /** Total FLOPs after each step (for loss against FLOPs). */
  readonly flopsAt: readonly number[];
}

export interface PostTrainSpec {
  /** Mean recurrence M; omit for the static model. */
  readonly maxMean?: number;
  readonly curriculum?: 'linear' | 'constant';
  readonly optimizer?: 'muon' | 'adamw';
  /** Train until this many FLOPs instead of `scale.postSteps` (the static baseline). */
  readonly flopsBudget?: number;
}

/** The demo's model config at this scale (same task, same tokenizer). */
export function modelConfigOf(scale: Scale): ReturnType<typeof makeModelConfig> {
  return makeModelConfig({ model: scale.model } as DemoConfig, tokenizer);
}

/** Writes the training split once and returns a packer factory (completion-only loss, as the demo). */
export function packerFor(trainPath: string, train: readonly WalkProblem[], scale: Scale): () => TokenPacker {
  const text = `${train.map((p) => JSON.stringify({ question: p.question, final: p.final, text: trainingText(p) })).join('\n')}\n`;
  writeFileAtomically(trainPath, (append) => append(Buffer.from(text, 'utf8')));
  const source = [{ path: trainPath, promptTemplate: TRAINING_PROMPT, template: TRAINING_COMPLETION }];
  return () => new TokenPacker(source, tokenizer, scale.seq + 1);
}

async function runTrainer(trainer: Trainer, steps: number): Promise<{ losses: number[]; flopsAt: number[]; seconds: number }> {
  const began = performance.now();
  const losses: number[] = [];
  const flopsAt: number[] = [];
  for (let i = 0; i < steps && !trainer.budgetReached; i++) {
    const m = await trainer.trainStep();
    losses.push(m.loss);
    flopsAt.push(m.total_flops);
  }
  return { losses, flopsAt, seconds: (performance.now() - began) / 1000 };
}

/** Pretrains the static model from random weights (the "pretrained model" every retrofit starts from). */
export async function pretrain(backend: Backend, scale: Scale, seed: number, packer: () => TokenPacker): Promise<RecurrentLM> {
  const config = modelConfigOf(scale);
  const model = new RecurrentLM(config, initializeWeights(config, backend, { seed, std: scale.model.initStd }));
  const optimizer = new MuonWithAdamW({ muon: { lr: scale.pretrainLr.muon }, adamw: { lr: scale.pretrainLr.adam } });
  const trainer = new Trainer({
    model,
    optimizer,
    lrSchedule: warmupStableDecay({ totalSteps: scale.pretrainSteps, warmupFraction: 0.02, cooldownFraction: 0.4 }),
    sampler: new FixedSampler(1),
    curriculum: { at: () => 1 },
    data: packer(),
    batch: scale.batch,
    seed,
    phase: 'pretrain',
  });
  await runTrainer(trainer, scale.pretrainSteps);
  optimizer.dispose();
  return model;
}

/** A copy of a model's weights on the same backend (each variant trains its own copy). */
export async function copyWeights(model: RecurrentLM): Promise<Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of model.params) out.set(name, keep(model.backend.upload(await t.read(), t.shape, t.dtype)));
  return out;
}

/**
 * Post-trains one variant from `weights` (consumed): retrofitted (1,1,1) with the Poisson-lognormal
 * sampler when `maxMean` is set, else the static model; Muon + AdamW or AdamW alone.
 */
export async function postTrain(weights: Map<string, Tensor>, scale: Scale, seed: number, packer: () => TokenPacker, spec: PostTrainSpec): Promise<Trained> {
  const config = modelConfigOf(scale);
  const base = new RecurrentLM(config, weights);
  const model = spec.maxMean === undefined ? base : retrofit(base, scale.plan, { adapterInit: 'default', initScale: scale.initScale, seed }).model;
  let steps = scale.postSteps;
  if (spec.flopsBudget !== undefined && spec.maxMean === undefined) {
    steps = stepsForBudget(spec.flopsBudget, trainingFlops(partParams(model), scale.batch * scale.seq, 0, 0));
  }
  const optimizer: Optimizer =
    spec.optimizer === 'adamw'
      ? new AdamW({ lr: scale.adamwOnlyLr })
      : new MuonWithAdamW({ muon: { lr: scale.postLr.muon }, adamw: { lr: scale.postLr.adam } });
  const trainer = new Trainer({
    model,
    optimizer,
    sampler: new PoissonLognormalSampler({ seed, backpropDepth: scale.backpropDepth }),
    curriculum: recurrenceCurriculum({ kind: spec.curriculum ?? 'linear', maxMean: spec.maxMean ?? 1, warmupFraction: 0.25, totalSteps: steps }),
    lrSchedule: warmupStableDecay({ totalSteps: steps, warmupFraction: 0.02, cooldownFraction: 0.4 }),
    data: packer(),
    batch: scale.batch,
    seed,
    phase: 'post-train',
    ...(spec.flopsBudget !== undefined ? { flopsBudget: spec.flopsBudget } : {}),
  });
  const run = await runTrainer(trainer, steps);
  (optimizer as Partial<{ dispose(): void }>).dispose?.();
  return { model, flops: trainer.flops, seconds: run.seconds, steps: trainer.step, losses: run.losses, flopsAt: run.flopsAt };
}

/**
 * Answer distributions at recurrence r for every problem: the model reads `Q: ...\nA: ` and its
 * next token is the answer digit (the training format), so one forward pass scores a problem. Problems
 * of one difficulty have prompts of one length, so they run as one batch. Returns log-probabilities
 * over the digits 0..9 per problem, in the order given.
 */
export async function digitLogProbs(model: RecurrentLM, problems: readonly WalkProblem[], recurrence: number, seed: number): Promise<Float64Array[]> {
  // the digit's own id (encode adds no BOS/EOS unless asked)
  const digitIds = Array.from({ length: 10 }, (_, d) => tokenizer.encode(String(d), { bos: false, eos: false }).at(-1)!);
  const out: Float64Array[] = new Array(problems.length);
  const byLength = new Map<number, number[]>();
  const encoded = problems.map((p) => tokenizer.encode(`Q: ${p.question}\nA: `, { bos: true, eos: false }));
  encoded.forEach((ids, i) => byLength.set(ids.length, [...(byLength.get(ids.length) ?? []), i]));
  for (const [length, indices] of byLength) {
    for (let start = 0; start < indices.length; start += 64) {
      const chunk = indices.slice(start, start + 64);
      const tokens = new Int32Array(chunk.length * length);
      chunk.forEach((i, b) => tokens.set(encoded[i]!, b * length));
      const rng = Rng.fromSeed(seed).stream('claims-eval', length, start);
      const logits = noGrad(() =>
        scope(() => keep(model.forward(model.backend.upload(tokens, [chunk.length, length], 'i32'), { recurrence, rng, lastPositionOnly: true }))),
      );
      const values = (await logits.read()) as Float32Array;
      logits.dispose();
      const vocab = values.length / chunk.length;
      chunk.forEach((i, b) => {
        const row = digitIds.map((id) => values[b * vocab + id]!);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
        out[i] = Float64Array.from(row, (v) => v - lse);
      });
    }
  }
  return out;
}

const argmax = (p: Float64Array): number => p.reduce((best, v, i) => (v > p[best]! ? i : best), 0);

/** Accuracy per difficulty (and `all`) at each recurrence. */
export async function accuracyByRecurrence(
  model: RecurrentLM,
  problems: readonly WalkProblem[],
  recurrences: readonly number[],
  seed: number,
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of recurrences) {
    const lp = await digitLogProbs(model, problems, model.isRecurrent ? r : 1, seed);
    out[r] = accuracyOf(problems, (i) => argmax(lp[i]!));
  }
  return out;
}

export function accuracyOf(problems: readonly WalkProblem[], answer: (i: number) => number): Record<string, number> {
  const groups = new Map<string, { right: number; n: number }>();
  problems.forEach((p, i) => {
    for (const key of [String(p.moves), 'all']) {
      const g = groups.get(key) ?? { right: 0, n: 0 };
      g.n++;
      if (answer(i) === p.final) g.right++;
      groups.set(key, g);
    }
  });
  return Object.fromEntries([...groups].map(([k, g]) => [k, g.right / g.n]));
}

/**
 * Adaptive exit at the answer: recurrence stops at the first step r whose answer distribution is
 * within `kl` (KL(p_{r-1} || p_r), nats, Huginn's criterion) of the previous step's, at most
 * `maxRecurrence`. Each r is a full forward with the same initial state, so p_r is exactly what
 * exiting after r steps gives. Returns accuracy and mean steps per threshold.
 */
export async function adaptiveExit(
  model: RecurrentLM,
  problems: readonly WalkProblem[],
  maxRecurrence: number,
  thresholds: readonly number[],
  seed: number,
): Promise<{ kl: number; accuracy: number; meanSteps: number }[]> {
  const perR: Float64Array[][] = [];
  for (let r = 1; r <= maxRecurrence; r++) perR.push(await digitLogProbs(model, problems, r, seed));
  return thresholds.map((kl) => {
    let right = 0;
    let steps = 0;
    problems.forEach((p, i) => {
      let exit = maxRecurrence;
      for (let r = 2; r <= maxRecurrence; r++) {
        if (klDivergence(perR[r - 2]![i]!, perR[r - 1]![i]!) < kl) {
          exit = r;
          break;
        }
      }
      steps += exit;
      if (argmax(perR[exit - 1]![i]!) === p.final) right++;
    });
    return { kl, accuracy: right / problems.length, meanSteps: steps / problems.length };
  });
}

function klDivergence(logP: Float64Array, logQ: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < logP.length; i++) kl += Math.exp(logP[i]!) * (logP[i]! - logQ[i]!);
  return kl;
}
