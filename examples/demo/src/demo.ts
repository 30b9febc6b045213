import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Backend, createCpuBackend, keep, writeFileAtomically } from '@rr/tensor';
import { CharTokenizer, type ModelConfig, RecurrentLM, S0_STD, initializeWeights } from '@rr/model';
import { retrofit, saveModelFolder } from '@rr/surgery';
import { MuonWithAdamW, warmupStableDecay } from '@rr/muon';
import { PoissonLognormalSampler, type RecurrenceSampler, type Schedule, recurrenceCurriculum } from '@rr/curriculum';
import { type BatchSource, TokenPacker, Trainer, formatFlops, partParams, stepsForBudget, trainingFlops } from '@rr/train';
import { type Gsm8kReport, type RecurrenceResult, accuracyOf, evaluateGsm8k, modelGenerator, readSampleLog } from '@rr/eval-gsm8k';
import type { DemoConfig } from './config.js';
import { TRAINING_PROMPT, TRAINING_COMPLETION, WALK_ALPHABET, type WalkProblem, makeSplits, trainingText } from './task.js';
import { renderDemoTable } from './table.js';
import { MovesBatches } from './moves-recurrence.js';
import { bestHeuristic, heuristicAccuracy, heuristics } from './heuristics.js';
import { renderDemoHtml } from './report.js';

export interface RunDemoOptions {
  /** Report folder (created; the demo's own earlier outputs in it are replaced). */
  readonly outDir: string;
  /** Progress lines (default: console.log). */
  readonly log?: (line: string) => void;
  /** Defaults to a CPU backend with `config.threads` threads, destroyed at the end. */
  readonly backend?: Backend;
}

/** One row of the demo's table: a model at a recurrence, overall and per difficulty. */
export interface DemoRow {
  /** `heuristic`: the best simple rule (chosen on the validation split), no model. */
  readonly model: 'heuristic' | 'static' | 'recurrent';
  readonly recurrence: number;
  /** Effective depth in layers: P + R*r + C (the static model: its layer count). */
  readonly depth: number;
  readonly n: number;
  /** flexible-extract exact match, 0..1 (the harness's headline metric). */
  readonly accuracy: number;
  readonly stderr: number | null;
  /** Accuracy per number of moves. */
  readonly byMoves: Readonly<Record<string, number>>;
}

/** One training phase's record: FLOPs spent, steps, wall time and the loss curve against FLOPs. */
export interface PhaseRecord {
  readonly label: string;
  readonly steps: number;
  readonly flops: number;
  readonly seconds: number;
  /** (training FLOPs so far in the phase, mean loss over the steps since the previous point). */
  readonly loss: readonly { readonly flops: number; readonly loss: number }[];
}

export interface DemoResult {
  readonly rows: readonly DemoRow[];
  /** The heuristic shown in the table and its name. */
  readonly heuristic: string;
  readonly phases: { readonly pretrain: PhaseRecord; readonly recurrent: PhaseRecord; readonly static: PhaseRecord };
  /** The split the table was measured on ('test' unless a config asks for validation). */
  readonly split: 'test' | 'validation';
  /** The table printed at the end. */
  readonly table: string;
  readonly files: {
    readonly json: string;
    readonly svg: string;
    readonly html: string;
    readonly summary: string;
    readonly staticReport: string;
    readonly demoHtml: string;
  };
  readonly seconds: { readonly pretrain: number; readonly postTrain: number; readonly staticTrain: number; readonly eval: number; readonly total: number };
}

/** Hidden size of Huginn, whose formula docs/method.md's initial-state std comes from. */
const HUGINN_WIDTH = 5280;

/** What the demo writes into outDir; cleared before a run so a rerun never resumes an old evaluation. */
const OUTPUTS = ['samples.jsonl', 'run.json', 'report.json', 'accuracy.svg', 'report.html', 'demo.json', 'demo.html', 'static', 'data', 'models'];

/**
 * The paper's story at toy scale: pretrain a small static Llama on the walk task, retrofit it into
 * (prelude, recurrent block, coda), post-train it with Muon (the recurrence tied to each batch's
 * moves, or the paper's sampler and curriculum) while a copy of the static model trains on with the
 * same training FLOPs, then evaluate both with the GSM8K
 * harness (gsm8k-cot, 0-shot, greedy, flexible-extract exact match) at several recurrences.
 */
export async function runDemo(config: DemoConfig, options: RunDemoOptions): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = resolve(options.outDir);
  const began = performance.now();
  mkdirSync(outDir, { recursive: true });
  for (const name of OUTPUTS) rmSync(join(outDir, name), { recursive: true, force: true });
  const backend = options.backend ?? createCpuBackend(config.threads ? { threads: config.threads } : {});
  try {
    // ---- data
    const { train, validation, test: testSplit } = makeSplits({ seed: config.seed, ...config.task });
    const split = config.evalSplit ?? 'test';
    const test = split === 'test' ? testSplit : validation;
    const dataDir = join(outDir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const trainPath = join(dataDir, 'train.jsonl');
    writeJsonl(
      trainPath,
      train.map((p) => ({ question: p.question, answer: p.answer, final: p.final, moves: p.moves, text: trainingText(p) })),
    );
    writeJsonl(
      join(dataDir, 'test.jsonl'),
      testSplit.map((p) => ({ question: p.question, answer: p.answer, moves: p.moves })),
    );
    writeJsonl(
      join(dataDir, 'validation.jsonl'),
      validation.map((p) => ({ question: p.question, answer: p.answer, moves: p.moves })),
    );
    log(
      `task: walks on 0..9 with walls, ${train.length} training problems (${config.task.trainMoves.join('-')} moves), ${test.length} ${split} problems (${config.task.testMoves.join(', ')} moves), e.g. ${JSON.stringify(test[test.length - 1]!.question)} -> ${test[test.length - 1]!.final}`,
    );
    // the heuristic is chosen on the validation split, then measured on the evaluated one
    const heuristic = bestHeuristic(heuristics(train), validation);

    const tokenizer = new CharTokenizer(WALK_ALPHABET);
    const modelConfig = makeModelConfig(config, tokenizer);
    // the loss covers the answer only (completion-only): the random questions carry no signal
    const source = [{ path: trainPath, promptTemplate: TRAINING_PROMPT, template: TRAINING_COMPLETION }];
    const packer = (): TokenPacker => new TokenPacker(source, tokenizer, config.seq + 1);

    // ---- 1. pretrain the static model from random weights
    const base = new RecurrentLM(modelConfig, initializeWeights(modelConfig, backend, { seed: config.seed, std: config.model.initStd }));
    log(
      `model: Llama ${config.model.numLayers} layers, hidden ${config.model.hiddenSize}, ${config.model.numHeads} heads, ${countParams(base)} parameters, char vocabulary of ${tokenizer.vocabSize}`,
    );
    const pretrain = await train_(
      base,
      packer(),
      config,
      { label: 'pretrain static', steps: config.pretrain.steps, muonLr: config.pretrain.muonLr, adamLr: config.pretrain.adamLr },
      log,
    );
    await saveModelFolder(join(outDir, 'models', 'pretrained'), base, { force: true });

    // the static baseline continues from a copy of the pretrained weights
    const staticModel = new RecurrentLM(modelConfig, await copyParams(base));

    // ---- 2. surgery: prelude / recurrent block / coda joined by an adapter
    const initScale = config.initScale === 'width' ? Math.sqrt(HUGINN_WIDTH / config.model.hiddenSize) : config.initScale;
    const r = retrofit(base, config.plan, { adapterInit: config.adapterInit, initScale, seed: config.seed });
    const { prelude, block, coda } = r.model.structure;
    log(
      `surgery: plan ${config.plan} -> prelude ${prelude.length}, block ${block.length} (recurrent), coda ${coda.length} layers; adapter init "${config.adapterInit}"; initial state std ${(S0_STD * initScale).toPrecision(3)}; dropped ${r.report.dropped.length ? r.report.dropped.join(', ') : 'none'}`,
    );

    // ---- 3. post-train: recurrent (r tied to the moves, or the sampler with its curriculum); static with the same training FLOPs
    const post = config.postTrain;
    const curriculum = recurrenceCurriculum({ ...post.curriculum, totalSteps: post.steps });
    const extra = post.tiedToMoves?.extra;
    const ramp = Math.round((post.tiedToMoves?.difficultyRamp ?? 0) * post.steps);
    const tied = extra === undefined ? undefined : new MovesBatches(train, tokenizer, config.seq + 1, config.seed, (k) => k + extra, post.backpropDepth, ramp);
    const recurrent = await train_(
      r.model,
      tied ?? packer(),
      config,
      {
        label: 'post-train recurrent',
        steps: post.steps,
        muonLr: post.muonLr,
        adamLr: post.adamLr,
        sampler: tied ?? new PoissonLognormalSampler({ seed: config.seed, backpropDepth: post.backpropDepth }),
        curriculum,
      },
      log,
    );
    // the static baseline gets the recurrent post-training's FLOPs (its steps all cost the same)
    const staticStepFlops = trainingFlops(partParams(staticModel), config.batch * config.seq, 0, 0);
    const staticSteps = stepsForBudget(recurrent.flops, staticStepFlops);
    log(
      `FLOP-matched static baseline: ${formatFlops(recurrent.flops)} training FLOPs of the recurrent post-training = ${staticSteps} static steps of ${formatFlops(staticStepFlops)}`,
    );
    const staticRun = await train_(
      staticModel,
      packer(),
      config,
      { label: 'train static (same FLOPs)', steps: staticSteps, muonLr: post.muonLr, adamLr: post.adamLr, flopsBudget: recurrent.flops },
      log,
    );
    await saveModelFolder(join(outDir, 'models', 'recurrent'), r.model, { force: true, origin: r.origin, adapterInit: r.adapterInit, basePlan: r.plan });
    await saveModelFolder(join(outDir, 'models', 'static'), staticModel, { force: true });

    // ---- 4. evaluate with the GSM8K harness
    const t = performance.now();
    const common = {
      samples: test,
      task: 'gsm8k-cot' as const,
      shots: 0,
      cue: false,
      maxNewTokens: config.eval.maxNewTokens,
      batch: 10,
    };
    const staticDir = join(outDir, 'static');
    const staticEval = await evaluateGsm8k({
      ...common,
      generator: modelGenerator(staticModel, tokenizer, { seed: config.seed }),
      recurrences: [1],
      outDir: staticDir,
      model: 'static baseline',
      onProgress: progress(log, 'eval static', [1]),
    });
    const baseline = staticEval.report.results[0]!.flexible;
    const recurrentEval = await evaluateGsm8k({
      ...common,
      generator: modelGenerator(r.model, tokenizer, { seed: config.seed }),
      recurrences: config.eval.recurrences,
      outDir,
      model: `recurrent (${config.plan}), post-trained with ${tied ? `r = moves${extra ? ` + ${extra}` : ''} per batch` : `M = ${post.curriculum.maxMean}`}`,
      staticBaseline: baseline,
      onProgress: progress(log, 'eval recurrent', config.eval.recurrences),
    });
    const evalSeconds = (performance.now() - t) / 1000;

    // ---- 5. the table: heuristic, static, recurrent at each r, per difficulty
    const rows: DemoRow[] = [
      heuristicRow(heuristic, test),
      ...(await rowsOf(staticEval.report, join(staticDir, 'samples.jsonl'), test, 'static', () => staticModel.config.numLayers)),
      ...(await rowsOf(recurrentEval.report, join(outDir, 'samples.jsonl'), test, 'recurrent', (rec) => r.model.depth(rec))),
    ];
    const table = renderDemoTable(rows, config.task.testMoves);
    const total = (performance.now() - began) / 1000;
    const seconds = { pretrain: pretrain.seconds, postTrain: recurrent.seconds, staticTrain: staticRun.seconds, eval: evalSeconds, total };
    const phases = { pretrain, recurrent, static: staticRun };
    const summary = join(outDir, 'demo.json');
    writeText(
      summary,
      `${JSON.stringify(
        {
          seed: config.seed,
          split,
          config,
          heuristic: heuristic.name,
          rows,
          seconds,
          training_flops: { pretrain: pretrain.flops, recurrent: recurrent.flops, static: staticRun.flops },
          phases,
          report: 'report.json',
          static_report: 'static/report.json',
        },
        null,
        2,
      )}\n`,
    );
    const demoHtml = join(outDir, 'demo.html');
    writeText(demoHtml, renderDemoHtml({ config, rows, phases, seconds, heuristic: heuristic.name, split, table }));
    staticModel.dispose();
    r.model.dispose();
    return {
      rows,
      table,
      heuristic: heuristic.name,
      phases,
      split,
      files: {
        json: recurrentEval.files.json,
        svg: recurrentEval.files.svg,
        html: recurrentEval.files.html,
        summary,
        staticReport: staticEval.files.json,
        demoHtml,
      },
      seconds,
    };
  } finally {
    if (!options.backend) backend.destroy();
  }
}

export function makeModelConfig(config: DemoConfig, tokenizer: CharTokenizer): ModelConfig {
  const { hiddenSize, numLayers, numHeads, intermediateSize } = config.model;
  return {
    architecture: 'llama',
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize,
    vocabSize: tokenizer.vocabSize,
    rmsNormEps: 1e-5,
    ropeTheta: 10_000,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 256,
    bosTokenId: tokenizer.bosId,
    eosTokenId: tokenizer.eosId,
  };
}

interface PhaseOptions {
  label: string;
  steps: number;
  muonLr: number;
  adamLr: number;
  sampler?: RecurrenceSampler;
  curriculum?: Schedule;
  flopsBudget?: number;
}

/** One training phase with the paper's optimizer (Muon + AdamW) and a warmup-stable-decay LR. */
async function train_(model: RecurrentLM, data: BatchSource, config: DemoConfig, phase: PhaseOptions, log: (line: string) => void): Promise<PhaseRecord> {
  const optimizer = new MuonWithAdamW({ muon: { lr: phase.muonLr }, adamw: { lr: phase.adamLr } });
  const trainer = new Trainer({
    model,
    optimizer,
    // both undefined for the static model, which runs every layer once
    sampler: phase.sampler,
    curriculum: phase.curriculum,
    lrSchedule: warmupStableDecay({ totalSteps: phase.steps, warmupFraction: 0.02, cooldownFraction: 0.4 }),
    data,
    batch: config.batch,
    seed: config.seed,
    phase: phase.label,
    ...(phase.flopsBudget !== undefined ? { flopsBudget: phase.flopsBudget } : {}),
  });
  const began = performance.now();
  let lastLog = began;
  let lossSum = 0;
  let lossCount = 0;
  let rSum = 0;
  const curve: { flops: number; loss: number }[] = [];
  let curveSum = 0;
  let curveCount = 0;
  const every = Math.max(1, Math.round(phase.steps / 60));
  for (let step = 1; step <= phase.steps && !trainer.budgetReached; step++) {
    const m = await trainer.trainStep();
    curveSum += m.loss;
    curveCount++;
    if (step % every === 0 || step === phase.steps || trainer.budgetReached) {
      curve.push({ flops: m.total_flops, loss: curveSum / curveCount });
      curveSum = 0;
      curveCount = 0;
    }
    lossSum += m.loss;
    lossCount++;
    rSum += m.r.reduce((a, b) => a + b, 0) / m.r.length;
    const now = performance.now();
    if (now - lastLog > 5000 || step === phase.steps || trainer.budgetReached) {
      const elapsed = (now - began) / 1000;
      const eta = (elapsed / step) * (phase.steps - step);
      const rPart = model.isRecurrent
        ? ` mean r ${(rSum / lossCount).toFixed(1)}${phase.sampler instanceof MovesBatches ? '' : ` (curriculum m ${m.mean_recurrence})`}`
        : '';
      log(
        `[${phase.label}] step ${step}/${phase.steps} loss ${(lossSum / lossCount).toFixed(3)}${rPart} FLOPs ${formatFlops(m.total_flops)} ${m.tokens_per_s.toFixed(0)} tok/s elapsed ${elapsed.toFixed(0)}s ETA ${eta.toFixed(0)}s`,
      );
      lastLog = now;
      lossSum = 0;
      lossCount = 0;
      rSum = 0;
    }
  }
  optimizer.dispose();
  return { label: phase.label, steps: trainer.step, flops: trainer.flops, seconds: (performance.now() - began) / 1000, loss: curve };
}

function heuristicRow(h: { name: string; answer(q: string): number }, test: readonly WalkProblem[]): DemoRow {
  const byMoves: Record<string, number> = {};
  for (const moves of [...new Set(test.map((p) => p.moves))].sort((a, b) => a - b)) {
    byMoves[moves] = heuristicAccuracy(
      h,
      test.filter((p) => p.moves === moves),
    );
  }
  const correct = test.map((p) => h.answer(p.question) === p.final);
  const { accuracy, stderr } = accuracyOf(correct);
  return { model: 'heuristic', recurrence: 0, depth: 0, n: test.length, accuracy, stderr, byMoves };
}

function progress(
  log: (line: string) => void,
  label: string,
  recurrences: readonly number[],
): (p: { recurrence: number; done: number; total: number }) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (now - last > 3000 || p.done === p.total) {
      last = now;
      log(`[${label}] r = ${p.recurrence} (${recurrences.indexOf(p.recurrence) + 1}/${recurrences.length}): ${p.done}/${p.total} problems`);
    }
  };
}

async function rowsOf(
  report: Gsm8kReport,
  samplesPath: string,
  test: readonly WalkProblem[],
  model: DemoRow['model'],
  depth: (r: number) => number,
): Promise<DemoRow[]> {
  const { records } = await readSampleLog(samplesPath);
  return report.results.map((res: RecurrenceResult) => {
    const byMoves: Record<string, number> = {};
    const groups = new Map<number, boolean[]>();
    for (const rec of records) {
      if (rec.recurrence !== res.recurrence) continue;
      const moves = test[rec.index]!.moves;
      const g = groups.get(moves) ?? [];
      g.push(rec.correct.flexible);
      groups.set(moves, g);
    }
    for (const [moves, g] of [...groups].sort((a, b) => a[0] - b[0])) byMoves[moves] = accuracyOf(g).accuracy;
    return { model, recurrence: res.recurrence, depth: depth(res.recurrence), n: res.n, accuracy: res.flexible, stderr: res.stderr, byMoves };
  });
}

async function copyParams(model: RecurrentLM): Promise<Map<string, import('@rr/tensor').Tensor>> {
  const out = new Map<string, import('@rr/tensor').Tensor>();
  for (const [name, t] of model.params) out.set(name, keep(model.backend.upload(await t.read(), t.shape, t.dtype)));
  return out;
}

function countParams(model: RecurrentLM): number {
  let n = 0;
  for (const t of model.params.values()) n += t.size;
  return n;
}

function writeJsonl(path: string, rows: readonly object[]): void {
  writeText(path, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

function writeText(path: string, text: string): void {
  writeFileAtomically(path, (append) => append(Buffer.from(text, 'utf8')));
}
