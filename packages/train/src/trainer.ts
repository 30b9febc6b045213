import { type Backend, RRError, Rng, type Tensor, grad, keep, noGrad, ops, scope, yieldToEventLoop } from '@rr/tensor';
import type { RecurrentLM } from '@rr/model';
import type { RecurrenceSampler, Schedule } from '@rr/curriculum';
import { GRAD_CLIP_MAX_NORM, type Optimizer, type Param, clipGradNorm } from '@rr/muon';
import type { PackedRows } from './data/packer.js';
import type { StepMetrics } from './metrics.js';
import { type PartParams, partParams, trainingFlops } from './flops.js';

/**
 * Where a trainer's rows come from: `TokenPacker` for documents, or anything that hands out rows
 * of `rowLength` tokens (a benchmark's fixed random batch, a generator of synthetic tasks).
 */
export interface BatchSource {
  /** seq + 1: a row holds the inputs and, shifted by one, the labels. */
  readonly rowLength: number;
  nextRows(rows: number): Promise<PackedRows>;
}

export interface TrainerOptions {
  model: RecurrentLM;
  optimizer: Optimizer;
  /** The recurrence (n, k) of each micro-batch; required for a recurrent model, unused by a static one. */
  sampler?: RecurrenceSampler;
  /** Mean recurrence m per step, handed to the sampler; required for a recurrent model, unused by a static one. */
  curriculum?: Schedule;
  /** Factor on the optimizer's learning rates per step (default: 1 at every step). */
  lrSchedule?: Schedule;
  data: BatchSource;
  batch: number;
  gradAccum?: number;
  /** Global gradient-norm clipping (default `GRAD_CLIP_MAX_NORM`, 1.0). */
  clip?: number;
  /** Seeds the initial-state draws: micro-batch (step, i) always gets the same s0. */
  seed?: number;
  /** Name of the phase (metrics). */
  phase?: string;
  /**
   * Training-FLOPs budget (docs/method.md's accounting): once `flops` reaches it, `budgetReached` is
   * true; loops stop there instead of at a step count (the step that crosses it is the last).
   */
  flopsBudget?: number;
}

/**
 * One optimizer step = `gradAccum` micro-batches, each with its own recurrence (n, k) from the
 * sampler: n steps without gradient, k recorded (truncated backprop), loss = mean next-token
 * cross-entropy over the packed rows. Gradients are averaged over micro-batches, clipped, and
 * handed to the optimizer with the schedule's LR factor. Everything a step allocates is freed
 * by scopes; the loss is read back every step to stop on NaN/inf before the optimizer runs.
 */
export class Trainer {
  readonly #o: TrainerOptions;
  readonly #recurrence: { sampler: RecurrenceSampler; curriculum: Schedule } | undefined;
  readonly #params: Param[];
  readonly #backend: Backend;
  /** Optimizer steps done within this trainer's phase. */
  step = 0;
  /** Training FLOPs spent by this trainer's steps (set it when resuming, like `step`). */
  flops = 0;
  /** Parameters of prelude, block and coda: the N's of the FLOPs accounting. */
  readonly parts: PartParams;

  constructor(options: TrainerOptions) {
    this.#o = options;
    if (options.model.isRecurrent) {
      const { sampler, curriculum } = options;
      if (!sampler || !curriculum) {
        throw new RRError(
          'BAD_ARGUMENT',
          `Trainer: a recurrent model needs a sampler and a curriculum (missing: ${[sampler ? '' : 'sampler', curriculum ? '' : 'curriculum'].filter(Boolean).join(', ')}); pass e.g. new FixedSampler(r) and { at: () => r } for a fixed recurrence r.`,
        );
      }
      this.#recurrence = { sampler, curriculum };
    }
    this.#params = options.model.parameters().map(([name, tensor]) => ({ name, tensor }));
    this.#backend = options.model.backend;
    for (const p of this.#params) p.tensor.requiresGrad = true;
    this.parts = partParams(options.model);
    if (options.flopsBudget !== undefined && !(options.flopsBudget > 0 && Number.isFinite(options.flopsBudget))) {
      throw new RRError(
        'BAD_ARGUMENT',
        `Trainer: flopsBudget = ${options.flopsBudget} must be a positive, finite number of FLOPs (or left out to train by steps).`,
      );
    }
  }

  /** True once the FLOPs budget (if any) is spent. */
  get budgetReached(): boolean {
    return this.#o.flopsBudget !== undefined && this.flops >= this.#o.flopsBudget;
  }

  get params(): readonly Param[] {
    return this.#params;
  }

  async trainStep(): Promise<StepMetrics> {
    // one event-loop turn per step: Ctrl-C and other signals are handled between steps
    await yieldToEventLoop();
    const o = this.#o;
    const t0 = performance.now();
    const accum = o.gradAccum ?? 1;
    const seq = o.data.rowLength - 1;
    const recurrence = this.#recurrence;
    const mean = recurrence ? recurrence.curriculum.at(this.step) : 1;
    const recurrences: number[] = [];
    let gradSums: Tensor[] | undefined;
    let lossSum = 0;
    let flops = 0;
    for (let micro = 0; micro < accum; micro++) {
      const rows = await o.data.nextRows(o.batch);
      const { noGrad: n, withGrad: k } = recurrence ? recurrence.sampler.sample(this.step * accum + micro, mean) : { noGrad: 0, withGrad: 0 };
      recurrences.push(n + k);
      flops += trainingFlops(this.parts, (rows.tokens.length / (seq + 1)) * seq, n, k);
      const rng = Rng.fromSeed(o.seed ?? 0).stream('s0', this.step, micro);
      const { loss, grads } = scope(() => {
        const { input, labels } = uploadRows(this.#backend, rows, seq);
        const logits = o.model.forward(input, recurrence ? { noGradSteps: n, gradSteps: k, rng } : {});
        const l = ops.crossEntropy(logits, labels);
        return {
          loss: l,
          grads: grad(
            l,
            this.#params.map((p) => p.tensor),
          ),
        };
      });
      const value = ((await loss.read()) as Float32Array)[0]!;
      loss.dispose();
      if (!Number.isFinite(value)) {
        grads.forEach((g) => g.dispose());
        gradSums?.forEach((g) => g.dispose());
        throw new RRError(
          'LOSS_NOT_FINITE',
          `training step ${this.step}: the loss is ${value} (micro-batch ${micro}, recurrence ${n + k}); stopping before the optimizer runs, so the last checkpoint holds the last good state. Lower the learning rate or check the data.`,
        );
      }
      lossSum += value;
      if (!gradSums) gradSums = grads.map(keep);
      else {
        const next = noGrad(() => gradSums!.map((g, i) => keep(ops.add(g, grads[i]!))));
        gradSums.forEach((g) => g.dispose());
        grads.forEach((g) => g.dispose());
        gradSums = next;
      }
    }
    const lrScale = o.lrSchedule?.at(this.step) ?? 1;
    const norm = scope(() => {
      const grads = accum > 1 ? gradSums!.map((g) => ops.scale(g, 1 / accum)) : gradSums!;
      const n = clipGradNorm(grads, o.clip ?? GRAD_CLIP_MAX_NORM);
      o.optimizer.step(this.#params, grads, lrScale);
      return keep(n);
    });
    const gradNorm = await norm.read();
    norm.dispose();
    gradSums!.forEach((g) => g.dispose());
    this.step++;
    this.flops += flops;
    const seconds = (performance.now() - t0) / 1000;
    return {
      step: this.step,
      phase: o.phase ?? 'train',
      loss: lossSum / accum,
      lr_scale: lrScale,
      mean_recurrence: mean,
      r: recurrences,
      grad_norm: gradNorm[0]!,
      flops,
      total_flops: this.flops,
      tokens_per_s: (accum * o.batch * seq) / seconds,
      elapsed_s: seconds,
    };
  }
}

/** Mean next-token loss on `batches` packed batches at a fixed recurrence, without gradients. */
export async function evaluateLoss(
  model: RecurrentLM,
  data: BatchSource,
  options: { batch: number; batches: number; recurrence: number; seed?: number },
): Promise<number> {
  const seq = data.rowLength - 1;
  let total = 0;
  for (let i = 0; i < options.batches; i++) {
    const rows = await data.nextRows(options.batch);
    const rng = Rng.fromSeed(options.seed ?? 0).stream('eval-s0', i);
    const loss = noGrad(() =>
      scope(() => {
        const { input, labels } = uploadRows(model.backend, rows, seq);
        return ops.crossEntropy(model.forward(input, { recurrence: options.recurrence, rng }), labels);
      }),
    );
    total += ((await loss.read()) as Float32Array)[0]!;
    loss.dispose();
  }
  return total / options.batches;
}

/**
 * Packed rows [batch, seq + 1] -> input = row[:-1], labels = row[1:] (docs/method.md's packing); labels
 * of unscored tokens (a `promptTemplate`'s part) become -100, which the cross-entropy skips.
 */
function uploadRows(backend: Backend, rows: PackedRows, seq: number): { input: Tensor; labels: Tensor } {
  const batch = rows.tokens.length / (seq + 1);
  const input = new Int32Array(batch * seq);
  const labels = new Int32Array(batch * seq);
  let scored = 0;
  for (let b = 0; b < batch; b++) {
    input.set(rows.tokens.subarray(b * (seq + 1), b * (seq + 1) + seq), b * seq);
    for (let t = 0; t < seq; t++) {
      const i = b * (seq + 1) + t + 1;
      labels[b * seq + t] = rows.scored[i] ? rows.tokens[i]! : IGNORED_LABEL;
      scored += rows.scored[i]!;
    }
  }
  if (scored === 0) {
    throw new RRError(
      'DATA_INVALID',
      `a batch of ${batch} rows of ${seq + 1} tokens holds no scored token: every token lies inside a promptTemplate part. Shorten the prompts or raise seq.`,
    );
  }
  return { input: backend.upload(input, [batch, seq], 'i32'), labels: backend.upload(labels, [batch, seq], 'i32') };
}

/** The cross-entropy's default ignore index (PyTorch's). */
const IGNORED_LABEL = -100;
