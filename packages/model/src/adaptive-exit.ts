/*
 * Adaptive exit (docs/method.md section 4, from Huginn): each generated token recurs only until its
 * output distribution stops changing, measured after every step i by
 *
 *   KL(p_{i-1} || p_i) < kl,   p_0 = uniform over the vocabulary,
 *
 * which is Huginn's `KLExitEvaluator` (`F.kl_div(log p_i, log p_{i-1}, log_target=True)`). With the
 * uniform p_0 a token can exit after its first step, so a huge threshold runs exactly one step per
 * token and kl = 0 never exits early (KL is never negative).
 *
 * The prompt runs all `maxRecurrence` steps (Huginn's `do_not_exit_in_prefill`): one exit decision
 * for a whole prompt would be made on its last position only, and it fills every cache slot, so the
 * first generated token (predicted from the prompt's last position) counts `maxRecurrence` steps.
 *
 * KV cache policy. The cache keeps one slot per unrolled layer (prelude, block step-major, coda).
 * A token that exits after step i < r leaves nothing at its position in the slots of steps
 * i+1..r, yet later tokens that recur longer attend to those slots. We fill them with the keys and
 * values of the same block layer at the exit step: the token's latent has converged, so its last
 * computed step is the best stand-in for the steps it skipped. This is Huginn's "latest-m4" cache
 * lookup (the most recent step of the same block layer that has an entry; its block has 4 layers),
 * done eagerly at exit instead of on every lookup. The coda's slots always hold the exit step's
 * entry because the coda runs after every step and the last run writes last.
 */
import { RRError, type Rng, type Tensor, keep, noGrad, ops, scope } from '@rr/tensor';
import { argmax, eachPrompt, endOfToken } from './generate.js';
import { KVCache } from './kv-cache.js';
import { decoderLayer } from './layer.js';
import { ADAPTER, EMBED, FINAL_NORM, LM_HEAD, layerNames } from './names.js';
import type { RecurrentLM } from './recurrent-lm.js';
import type { TextTokenizer } from './tokenizer/tokenizer.js';

export interface AdaptiveExitOptions {
  /** Most recurrence steps per token (the prompt always runs all of them). */
  maxRecurrence: number;
  /** Exit threshold on KL(p_{i-1} || p_i) in nats; 5e-4 in Huginn's paper, 1e-3 in its later code. */
  kl: number;
}

export interface AdaptiveStep {
  /** The next-token logits [V] of the step the token exited at. */
  logits: Float32Array | Float64Array;
  /** Recurrence steps the token ran, 1..maxRecurrence. */
  steps: number;
}

/**
 * Runs one new token (batch 1) through the model with adaptive exit, reading and extending `cache`
 * (which must have been filled at recurrence `maxRecurrence`, e.g. by `RecurrentLM.forward`).
 * The unrolled layers and cache slots are those of `RecurrentLM.forward`, one step at a time with
 * the coda and head after each step (forward runs the coda once, after the last step, so it cannot
 * be reused here); `rng` draws the initial state exactly as `forward` does with that `rng`. A
 * token that runs all steps is thus computed bit for bit as plain decoding computes it, which the
 * tests check on the logits and on every cache slot.
 */
export async function decodeTokenWithAdaptiveExit(
  model: RecurrentLM,
  token: number,
  cache: KVCache,
  options: AdaptiveExitOptions & { rng: Rng; initScale?: number },
): Promise<AdaptiveStep> {
  checkAdaptiveExit(model, options);
  if (cache.batch !== 1)
    throw new RRError(
      'BAD_ARGUMENT',
      `decodeTokenWithAdaptiveExit: the cache has batch ${cache.batch}; adaptive exit decodes one sequence at a time (batch 1).`,
    );
  const { config, backend } = model;
  const { prelude, block, coda } = model.structure;
  const maxSteps = options.maxRecurrence;
  const offset = cache.length;
  cache.reserve(1);
  const w = (name: string): Tensor => model.param(name);
  // Slot numbering of RecurrentLM.forward at recurrence maxSteps: prelude, block step-major, coda.
  const blockSlot = (step: number, l: number): number => prelude.length + step * block.length + l;
  const codaSlot = (c: number): number => prelude.length + maxSteps * block.length + c;
  const layer = (x: Tensor, index: number, slot: number): Tensor =>
    decoderLayer(x, w, layerNames(index, config.architecture), config, { ...cache.slot(slot), offset });

  // Tensors that outlive one synchronous scope (awaits sit between steps) are kept and freed here.
  const held = new Set<Tensor>();
  const hold = <T extends Tensor>(t: T): T => {
    held.add(keep(t));
    return t;
  };
  const release = (t: Tensor): void => {
    held.delete(t);
    t.dispose();
  };
  try {
    const e = hold(
      run(() => {
        let x = ops.embedding(backend.upload([token], [1, 1], 'i32'), w(EMBED));
        prelude.forEach((index, slot) => (x = layer(x, index, slot)));
        return x;
      }),
    );
    let s = hold(initialState(model, e, options.initScale, options.rng));
    let previous = uniformLogProbs(config.vocabSize);
    for (let step = 0; step < maxSteps; step++) {
      const next = run(() => {
        let h = ops.matmul(ops.concat([s, e]), w(ADAPTER), { transB: true });
        block.forEach((index, l) => (h = layer(h, index, blockSlot(step, l))));
        let x = h;
        coda.forEach((index, c) => (x = layer(x, index, codaSlot(c))));
        return { state: h, logits: ops.matmul(ops.rmsnorm(x, w(FINAL_NORM), config.rmsNormEps), w(LM_HEAD), { transB: true }) };
      });
      release(s);
      s = hold(next.state);
      const logits = (await hold(next.logits).read()) as Float32Array | Float64Array;
      release(next.logits);
      const current = logSoftmax(logits);
      const steps = step + 1;
      if (steps === maxSteps || klDivergence(previous, current) < options.kl) {
        fillSkippedSteps(cache, offset, steps, maxSteps, blockSlot, block.length);
        cache.length = offset + 1;
        return { logits, steps };
      }
      previous = current;
    }
    throw new Error('unreachable: the last step always exits');
  } finally {
    for (const t of held) t.dispose();
  }
}

export interface AdaptiveGenerateOptions {
  maxNewTokens: number;
  /** Most recurrence steps per token; the prompt runs all of them. */
  recurrence: number;
  /** Exit threshold on KL(p_{i-1} || p_i); 0 never exits early. */
  kl: number;
  /** Generation stops when the decoded text contains one of these; the text is cut before it. */
  stop?: readonly string[];
  initScale?: number;
  /** Initial-state stream (default: seed 0), derived per prompt and token as `generate` does. */
  rng?: Rng;
}

export interface AdaptiveGeneration {
  /** Decoded new text, cut before a stop string. */
  text: string;
  /** New token ids (including a final EOS when that ended it). */
  tokens: number[];
  stoppedBy: 'eos' | 'stop' | 'length';
  /** Recurrence steps behind each new token; the first is the prompt's (`recurrence`). */
  steps: number[];
}

/**
 * Greedy generation with adaptive exit: `generate`'s greedy path (same prompts, BOS, stop strings,
 * EOS, initial-state streams) with each new token recurring only until it converges. With kl = 0 it
 * produces what `generate` produces at the same recurrence. Prompts run one after another with
 * batch 1, as in `generate`; per-sequence exits would not survive batching anyway (a batched cache
 * holds the steps of the longest-running row, which Huginn warns inflates early-exit results).
 */
export async function generateWithAdaptiveExit(
  model: RecurrentLM,
  tokenizer: TextTokenizer,
  prompts: readonly (string | readonly number[])[],
  options: AdaptiveGenerateOptions,
): Promise<AdaptiveGeneration[]> {
  checkAdaptiveExit(model, { maxRecurrence: options.recurrence, kl: options.kl });
  return eachPrompt('generateWithAdaptiveExit', tokenizer, prompts, options, (ids, rng) => generateOne(model, tokenizer, ids, options, rng));
}

async function generateOne(
  model: RecurrentLM,
  tokenizer: TextTokenizer,
  promptIds: number[],
  options: AdaptiveGenerateOptions,
  rng: Rng,
): Promise<AdaptiveGeneration> {
  const dtype = model.param(EMBED).dtype as 'f32' | 'f64';
  const cache = new KVCache(model.backend, 1, promptIds.length + options.maxNewTokens, model.config.numKvHeads * model.config.headDim, dtype);
  const generated: number[] = [];
  const steps: number[] = [];
  let stoppedBy: AdaptiveGeneration['stoppedBy'] = 'length';
  let text = '';
  try {
    for (let step = 0; step < options.maxNewTokens; step++) {
      const s0 = rng.stream('s0', step);
      let logits: Float32Array | Float64Array;
      if (step === 0) {
        logits = await promptLogits(model, promptIds, cache, options, s0);
        steps.push(options.recurrence);
      } else {
        const out = await decodeTokenWithAdaptiveExit(model, generated[generated.length - 1]!, cache, {
          maxRecurrence: options.recurrence,
          kl: options.kl,
          initScale: options.initScale,
          rng: s0,
        });
        logits = out.logits;
        steps.push(out.steps);
      }
      const next = argmax(logits);
      generated.push(next);
      const end = endOfToken(generated, tokenizer, options.stop ?? []);
      text = end.text;
      if (end.stoppedBy) {
        stoppedBy = end.stoppedBy;
        break;
      }
    }
    return { text, tokens: generated, stoppedBy, steps };
  } finally {
    cache.dispose();
  }
}

/** The prompt at full recurrence, filling every cache slot; the last position's logits. */
async function promptLogits(
  model: RecurrentLM,
  ids: number[],
  cache: KVCache,
  options: AdaptiveGenerateOptions,
  rng: Rng,
): Promise<Float32Array | Float64Array> {
  const logits = run(() =>
    model.forward(model.backend.upload(ids, [1, ids.length], 'i32'), {
      recurrence: options.recurrence,
      initScale: options.initScale,
      cache,
      lastPositionOnly: true,
      rng,
    }),
  );
  try {
    return (await logits.read()) as Float32Array | Float64Array;
  } finally {
    logits.dispose();
  }
}

/**
 * The exit policy's cache fill: block slots of steps `exitSteps..maxSteps-1` (0-based) at
 * `position` get the entry of the same block layer at the exit step (0-based `exitSteps - 1`).
 */
function fillSkippedSteps(
  cache: KVCache,
  position: number,
  exitSteps: number,
  maxSteps: number,
  blockSlot: (step: number, layer: number) => number,
  blockLayers: number,
): void {
  if (exitSteps === maxSteps) return;
  run(() => {
    const row = cache.backend.upload([position], [1, 1], 'i32');
    // a [1, 1, width] copy of one position: the embedding gather over the slot's [capacity, width] rows
    const at = (t: Tensor): Tensor => ops.embedding(row, ops.reshape(t, [cache.capacity, cache.kvWidth]));
    for (let l = 0; l < blockLayers; l++) {
      const from = cache.slot(blockSlot(exitSteps - 1, l));
      const k = at(from.k);
      const v = at(from.v);
      for (let step = exitSteps; step < maxSteps; step++) {
        const to = cache.slot(blockSlot(step, l));
        cache.backend.writeRange(to.k, k, 1, position);
        cache.backend.writeRange(to.v, v, 1, position);
      }
    }
  });
}

/** s0 drawn as RecurrentLM.forward draws it with an explicit rng (truncated normal within +-3 std; zeros at scale 0). */
function initialState(model: RecurrentLM, e: Tensor, initScale: number | undefined, rng: Rng): Tensor {
  const scale = initScale ?? model.structure.initScale;
  if (scale === 0) return e.backend.zeros(e.shape, e.dtype);
  const std = model.structure.s0Std * scale;
  return e.backend.upload(rng.fillTruncatedNormal(new Float32Array(e.size), 0, std, -3 * std, 3 * std), e.shape, e.dtype);
}

function checkAdaptiveExit(model: RecurrentLM, options: AdaptiveExitOptions): void {
  if (!model.isRecurrent) {
    throw new RRError(
      'NOT_RECURRENT',
      'Adaptive exit needs a recurrent model (a prelude/block/coda structure); this model is static. Retrofit it first (rr surgery), or evaluate it without adaptive exit.',
    );
  }
  if (!Number.isInteger(options.maxRecurrence) || options.maxRecurrence < 1) {
    throw new RRError('BAD_ARGUMENT', `Adaptive exit: recurrence = ${options.maxRecurrence} must be a positive integer (the most steps a token may run).`);
  }
  if (!(options.kl >= 0) || !Number.isFinite(options.kl)) {
    throw new RRError('BAD_ARGUMENT', `Adaptive exit: kl = ${options.kl} must be a finite number >= 0 (e.g. 5e-4; 0 never exits early).`);
  }
}

/** Synchronous tensor work without gradients whose intermediates are freed on return. */
function run<T>(fn: () => T): T {
  return noGrad(() => scope(fn));
}

function uniformLogProbs(vocabSize: number): Float64Array {
  return new Float64Array(vocabSize).fill(-Math.log(vocabSize));
}

/** log softmax in f64: the KL of nearly equal distributions is a small difference of large terms. */
function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! - lse;
  return out;
}

/** KL(p || q) from log-probabilities; clamped at 0 so rounding never makes kl = 0 exit. */
function klDivergence(logP: Float64Array, logQ: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < logP.length; i++) {
    const p = Math.exp(logP[i]!);
    if (p > 0) kl += p * (logP[i]! - logQ[i]!);
  }
  return Math.max(0, kl);
}
