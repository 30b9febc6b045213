import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Backend, createCpuBackend } from '@rr/tensor';
import { initializeWeights } from '@rr/model';
import { makeSplits } from '@rr/example-demo';
import { accuracyByRecurrence, adaptiveExit, copyWeights, modelConfigOf, packerFor, postTrain, pretrain, type Trained } from './pipeline.js';
import type { Scale } from './scale.js';
import { type Summary, type Verdict, greaterThan, summarize } from './verdict.js';

/** What one seed measured, every figure the report shows. */
export interface SeedResult {
  readonly seed: number;
  readonly seconds: number;
  /** variant -> r -> difficulty (or 'all') -> accuracy. */
  readonly accuracy: Record<string, Record<string, Record<string, number>>>;
  /** variant -> training FLOPs of its post-training. */
  readonly flops: Record<string, number>;
  /** variant -> wall seconds of its post-training. */
  readonly trainSeconds: Record<string, number>;
  /** variant -> loss curve (FLOPs so far, loss). */
  readonly loss: Record<string, { flops: number; loss: number }[]>;
  /** variant -> loss spikes over its whole post-training (see lossSpikes) and mean loss of its last tenth. */
  readonly spikes: Record<string, number>;
  readonly finalLoss: Record<string, number>;
  /** Claim 7: accuracy and mean steps per exit threshold of the main model. */
  readonly adaptive: { kl: number; accuracy: number; meanSteps: number }[];
}

export interface ClaimResult {
  readonly id: number;
  readonly claim: string;
  /** How it was measured: the two quantities compared. */
  readonly measure: string;
  readonly a: Summary;
  readonly b: Summary;
  readonly verdict: Verdict;
}

/** The variants every seed trains, all from the same pretrained static model unless said otherwise. */
export const VARIANTS = {
  main: 'recurrent, large M, curriculum, Muon',
  smallM: 'recurrent, small M',
  static: 'static, same FLOPs as main',
  random: 'recurrent from random init',
  constant: 'recurrent, no curriculum',
  adamw: 'recurrent, AdamW only',
} as const;
export type Variant = keyof typeof VARIANTS;

export async function runSeed(scale: Scale, seed: number, outDir: string, log: (line: string) => void, backend: Backend): Promise<SeedResult> {
  const began = performance.now();
  const { train, test } = makeSplits({ seed, ...scale.task });
  mkdirSync(outDir, { recursive: true });
  const packer = packerFor(join(outDir, `train-${seed}.jsonl`), train, scale);
  log(`seed ${seed}: pretraining the static model (${scale.pretrainSteps} steps)`);
  const base = await pretrain(backend, scale, seed, packer);
  const runs = new Map<Variant, Trained>();
  const train_ = async (variant: Variant, make: () => Promise<Trained>): Promise<void> => {
    const t = await make();
    runs.set(variant, t);
    log(
      `seed ${seed}: ${VARIANTS[variant]}: ${t.steps} steps, ${t.flops.toExponential(3)} FLOPs, ${t.seconds.toFixed(0)}s, last loss ${t.losses.at(-1)?.toFixed(3)}`,
    );
  };
  const M = scale.largeMean;
  await train_('main', async () => postTrain(await copyWeights(base), scale, seed, packer, { maxMean: M }));
  await train_('smallM', async () => postTrain(await copyWeights(base), scale, seed, packer, { maxMean: scale.smallMean }));
  await train_('static', async () => postTrain(await copyWeights(base), scale, seed, packer, { flopsBudget: runs.get('main')!.flops }));
  await train_('random', async () =>
    postTrain(initializeWeights(modelConfigOf(scale), backend, { seed: seed + 7919, std: scale.model.initStd }), scale, seed, packer, { maxMean: M }),
  );
  await train_('constant', async () => postTrain(await copyWeights(base), scale, seed, packer, { maxMean: M, curriculum: 'constant' }));
  await train_('adamw', async () => postTrain(await copyWeights(base), scale, seed, packer, { maxMean: M, optimizer: 'adamw' }));
  base.dispose();

  const accuracy: SeedResult['accuracy'] = {};
  for (const [variant, t] of runs) {
    accuracy[variant] = await accuracyByRecurrence(t.model, test, t.model.isRecurrent ? scale.recurrences : [1], seed);
  }
  const adaptive = await adaptiveExit(runs.get('main')!.model, test, Math.max(...scale.recurrences), scale.exitThresholds, seed);
  const result: SeedResult = {
    seed,
    seconds: (performance.now() - began) / 1000,
    accuracy,
    flops: Object.fromEntries([...runs].map(([v, t]) => [v, t.flops])),
    trainSeconds: Object.fromEntries([...runs].map(([v, t]) => [v, t.seconds])),
    loss: Object.fromEntries(
      [...runs].map(([v, t]) => [
        v,
        thin(
          t.losses.map((loss, i) => ({ flops: t.flopsAt[i]!, loss })),
          60,
        ),
      ]),
    ),
    spikes: Object.fromEntries([...runs].map(([v, t]) => [v, lossSpikes(t.losses)])),
    finalLoss: Object.fromEntries([...runs].map(([v, t]) => [v, mean(t.losses.slice(-Math.max(1, Math.floor(t.losses.length / 10))))])),
    adaptive,
  };
  for (const t of runs.values()) t.model.dispose();
  return result;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** At most `n` points: means over equal runs of steps (a readable loss curve). */
function thin(points: { flops: number; loss: number }[], n: number): { flops: number; loss: number }[] {
  const every = Math.max(1, Math.ceil(points.length / n));
  const out: { flops: number; loss: number }[] = [];
  for (let i = 0; i < points.length; i += every) {
    const chunk = points.slice(i, i + every);
    out.push({ flops: chunk.at(-1)!.flops, loss: chunk.reduce((s, p) => s + p.loss, 0) / chunk.length });
  }
  return out;
}

/** Loss spikes: steps whose loss exceeds 1.5x the median of the 20 before it. */
export function lossSpikes(losses: readonly number[]): number {
  let spikes = 0;
  for (let i = 20; i < losses.length; i++) {
    const window = [...losses.slice(i - 20, i)].sort((a, b) => a - b);
    if (losses[i]! > 1.5 * window[10]!) spikes++;
  }
  return spikes;
}

/**
 * The seven verdicts from the seeds' figures. Every comparison is fixed in advance (the r compared,
 * the difficulties, the threshold), so nothing is picked after seeing the test split.
 */
export function verdicts(scale: Scale, seeds: readonly SeedResult[]): ClaimResult[] {
  const M = scale.largeMean;
  const rMax = Math.max(...scale.recurrences);
  const hardest = String(Math.max(...scale.task.testMoves));
  const beyond = scale.task.testMoves.filter((m) => m > scale.task.trainMoves[1]).map(String);
  const acc = (s: SeedResult, v: Variant, r: number, key = 'all'): number => s.accuracy[v]?.[String(r)]?.[key] ?? Number.NaN;
  const over = (f: (s: SeedResult) => number): Summary => summarize(seeds.map(f));
  const claim = (id: number, text: string, measure: string, a: Summary, b: Summary): ClaimResult => ({
    id,
    claim: text,
    measure,
    a,
    b,
    verdict: greaterThan(a, b),
  });
  const beyondAcc = (s: SeedResult, r: number): number => {
    const keys = beyond.length ? beyond : [hardest];
    return keys.reduce((sum, k) => sum + acc(s, 'main', r, k), 0) / keys.length;
  };
  const rM = scale.recurrences.includes(M) ? M : rMax;
  const rDeep = scale.recurrences.includes(2 * M) ? 2 * M : rMax;
  const adaptiveAt = (s: SeedResult): { accuracy: number; meanSteps: number } => s.adaptive.find((a) => a.kl === 5e-4) ?? s.adaptive[s.adaptive.length - 1]!;
  return [
    claim(
      1,
      `accuracy rises with test-time recurrence, more so for a larger mean M (M = ${M} against ${scale.smallMean})`,
      `gain from r = 1 to r = ${rMax} (all test problems): M = ${M} (a) against M = ${scale.smallMean} (b)`,
      over((s) => acc(s, 'main', rMax) - acc(s, 'main', 1)),
      over((s) => acc(s, 'smallM', rMax) - acc(s, 'smallM', 1)),
    ),
    claim(
      2,
      'the retrofitted recurrent model beats the static model at the same training compute',
      `accuracy of the recurrent model at r = ${rM} (a) against the static model with the same post-training FLOPs (b)`,
      over((s) => acc(s, 'main', rM)),
      over((s) => acc(s, 'static', 1)),
    ),
    claim(
      3,
      'starting from pretrained weights beats random initialisation of the same recurrent model',
      `accuracy at r = ${rM}: retrofitted from the pretrained model (a) against the same recurrent model from random weights, same post-training (b)`,
      over((s) => acc(s, 'main', rM)),
      over((s) => acc(s, 'random', rM)),
    ),
    sameForLess(
      4,
      'a curriculum on the mean recurrence reaches the same quality for less compute',
      `accuracy at r = ${rM}: curriculum (a) against constant M (b), the same steps; holds when the curriculum spent fewer FLOPs on every seed and its accuracy is not lower beyond the intervals`,
      over((s) => acc(s, 'main', rM)),
      over((s) => acc(s, 'constant', rM)),
      seeds.every((s) => s.flops.main! < s.flops.constant!),
    ),
    claim(
      5,
      'Muon trains the recurrent model more stably than AdamW',
      'loss spikes (a step above 1.5x the median of the 20 before it), negated so that larger is more stable: Muon (a) against AdamW (b); final losses are in the JSON',
      over((s) => -s.spikes.main!),
      over((s) => -s.spikes.adamw!),
    ),
    claim(
      6,
      'recurrence deeper than trained helps on problems harder than any trained on',
      `accuracy on ${beyond.length ? `${beyond.join(', ')} moves (never trained on)` : `${hardest} moves`}: r = ${rDeep} (a) against r = ${rM} (b)`,
      over((s) => beyondAcc(s, rDeep)),
      over((s) => beyondAcc(s, rM)),
    ),
    sameForLess(
      7,
      `adaptive exit (KL < 5e-4 between successive steps' answers) keeps the accuracy of r = ${rMax} with fewer steps`,
      `accuracy of adaptive exit (a) against fixed r = ${rMax} (b); holds when its mean steps are below ${rMax} on every seed and its accuracy is not lower beyond the intervals`,
      over((s) => adaptiveAt(s).accuracy),
      over((s) => acc(s, 'main', rMax)),
      seeds.every((s) => adaptiveAt(s).meanSteps < rMax),
    ),
  ];
}

/**
 * "The same quality for less": holds when `cheaper` is true and b is not above a beyond the
 * intervals; does not hold when b is above a beyond them or `cheaper` is false.
 */
function sameForLess(id: number, text: string, measure: string, a: Summary, b: Summary, cheaper: boolean): ClaimResult {
  const verdict: Verdict = !cheaper || greaterThan(b, a) === 'holds' ? 'does not hold' : 'holds';
  return { id, claim: text, measure, a, b, verdict };
}

export interface SuiteResult {
  readonly scale: Scale;
  readonly seeds: readonly SeedResult[];
  readonly claims: readonly ClaimResult[];
  readonly seconds: number;
}

export async function runSuite(scale: Scale, outDir: string, log: (line: string) => void = console.log): Promise<SuiteResult> {
  const began = performance.now();
  const backend = createCpuBackend(scale.threads ? { threads: scale.threads } : {});
  try {
    const seeds: SeedResult[] = [];
    for (const seed of scale.seeds) seeds.push(await runSeed(scale, seed, join(outDir, 'data'), log, backend));
    return { scale, seeds, claims: verdicts(scale, seeds), seconds: (performance.now() - began) / 1000 };
  } finally {
    backend.destroy();
  }
}
