import { type Backend, RRError, Rng, type Tensor, detach, isGradEnabled, noGrad, ops, scope } from '@rr/tensor';
import type { ModelConfig } from './config.js';
import type { KVCache } from './kv-cache.js';
import { decoderLayer } from './layer.js';
import { ADAPTER, EMBED, FINAL_NORM, LM_HEAD, layerNames } from './names.js';

/** Huginn's initial-state std sqrt(2 / (5 * 5280)), kept as docs/method.md prescribes (not recomputed). */
export const S0_STD = 0.008703882797784892;

/**
 * How the stored layers are used: indices into `model.layers.*` of this checkpoint. A static
 * (pretrained) model is all prelude with an empty block, so it runs through the same code.
 */
export interface RecurrenceStructure {
  prelude: number[];
  block: number[];
  coda: number[];
  /** Std of the initial state s0 before `initScale`. */
  s0Std: number;
  /** Multiplies s0Std; 0 gives a zero initial state (deterministic). */
  initScale: number;
}

export interface ForwardOptions {
  /** Recurrence r (all steps recorded when gradients are on). Default 1. Ignored by static models. */
  recurrence?: number;
  /** Truncated backprop: n steps under noGrad, then k recorded steps (r = n + k). Overrides `recurrence`. */
  noGradSteps?: number;
  gradSteps?: number;
  /** Overrides the structure's initScale for this call. */
  initScale?: number;
  /** Stream for s0; default: the model's own stream, advanced per call. */
  rng?: Rng;
  /** Incremental decoding: reads and extends this cache. */
  cache?: KVCache;
  /** Only the last position's logits ([B, 1, V]): generation needs no more. */
  lastPositionOnly?: boolean;
}

/**
 * A decoder LM cut into prelude, recurrent block and coda (docs/method.md section 1):
 *   e = prelude(embed(tokens)); s = s0; r times: s = block(adapter(concat[s, e])); coda(s) -> norm -> head.
 * Parameters are a name -> Tensor map in Hugging Face naming; the block reuses the same tensors on
 * every step, so their gradients accumulate over the recorded steps.
 */
export class RecurrentLM {
  readonly config: ModelConfig;
  readonly params: Map<string, Tensor>;
  readonly structure: RecurrenceStructure;
  readonly backend: Backend;
  #rng: Rng;
  #calls = 0;

  constructor(config: ModelConfig, params: Map<string, Tensor>, structure?: RecurrenceStructure, options: { seed?: number } = {}) {
    this.config = config;
    this.params = params;
    this.structure = structure ?? staticStructure(config.numLayers);
    const embed = params.get(EMBED);
    if (!embed) throw new RRError('MISSING_TENSOR', `RecurrentLM: parameter ${EMBED} is missing.`);
    this.backend = embed.backend;
    this.#rng = Rng.fromSeed(options.seed ?? 0);
    if (this.isRecurrent && !params.has(ADAPTER)) {
      throw new RRError('MISSING_TENSOR', `RecurrentLM: a recurrent structure needs the adapter ${ADAPTER}.`);
    }
  }

  get isRecurrent(): boolean {
    return this.structure.block.length > 0;
  }

  /** Effective depth P + R*r + C at recurrence r. */
  depth(r: number): number {
    const { prelude, block, coda } = this.structure;
    return prelude.length + (block.length > 0 ? block.length * r : 0) + coda.length;
  }

  param(name: string): Tensor {
    const t = this.params.get(name) ?? (name === LM_HEAD ? this.params.get(EMBED) : undefined);
    if (!t) throw new RRError('MISSING_TENSOR', `RecurrentLM: parameter ${name} is missing.`);
    return t;
  }

  /** tokens [B, T] (i32) -> logits [B, T, V] (or [B, 1, V] with lastPositionOnly). */
  forward(tokens: Tensor, options: ForwardOptions = {}): Tensor {
    if (tokens.dtype !== 'i32' || tokens.rank !== 2) {
      throw new RRError('SHAPE_MISMATCH', `RecurrentLM.forward: tokens must be i32 [batch, seq], got ${tokens}.`);
    }
    let { n, k } = this.#steps(options);
    if (!isGradEnabled()) {
      // nothing will be recorded, so every step can free the previous state: memory stays flat in r
      n += k;
      k = 0;
    }
    const cache = options.cache;
    const offset = cache?.length ?? 0;
    cache?.reserve(tokens.shape[1]!);
    const w = (name: string): Tensor => this.param(name);
    const { prelude, block, coda } = this.structure;
    let slot = 0;
    const layer = (x: Tensor, index: number): Tensor => {
      const names = layerNames(index, this.config.architecture);
      const s = cache ? { ...cache.slot(slot), offset } : undefined;
      slot++;
      return decoderLayer(x, w, names, this.config, s);
    };

    let x = ops.embedding(tokens, w(EMBED));
    for (const i of prelude) x = layer(x, i);
    if (block.length > 0) {
      const e = x;
      const step = (s: Tensor): Tensor => {
        let h = ops.matmul(ops.concat([s, e]), w(ADAPTER), { transB: true });
        for (const i of block) h = layer(h, i);
        return h;
      };
      let s = this.#initialState(e, options);
      if (n > 0) {
        // the no-gradient steps free their activations step by step
        s = noGrad(() => {
          let state = s;
          for (let i = 0; i < n; i++) {
            const prev = state;
            state = scope(() => step(prev));
            if (prev !== s) prev.dispose();
          }
          return state;
        });
        s = detach(s);
      }
      for (let i = 0; i < k; i++) s = step(s);
      x = s;
    }
    for (const i of coda) x = layer(x, i);
    if (cache) cache.length = offset + tokens.shape[1]!;
    if (options.lastPositionOnly) x = lastPosition(x);
    x = ops.rmsnorm(x, w(FINAL_NORM), this.config.rmsNormEps);
    return ops.matmul(x, w(LM_HEAD), { transB: true });
  }

  #steps(options: ForwardOptions): { n: number; k: number } {
    if (!this.isRecurrent) return { n: 0, k: 0 };
    if (options.noGradSteps !== undefined || options.gradSteps !== undefined) {
      const n = options.noGradSteps ?? 0;
      const k = options.gradSteps ?? 0;
      if (!Number.isInteger(n) || !Number.isInteger(k) || n < 0 || k < 0 || n + k < 1) {
        throw new RRError('BAD_ARGUMENT', `RecurrentLM.forward: noGradSteps = ${n}, gradSteps = ${k} must be non-negative integers with at least one step.`);
      }
      return { n, k };
    }
    const r = options.recurrence ?? 1;
    if (!Number.isInteger(r) || r < 1) throw new RRError('BAD_ARGUMENT', `RecurrentLM.forward: recurrence = ${r} must be a positive integer.`);
    return { n: 0, k: r };
  }

  /** s0 ~ truncated normal(0, std * initScale) within +-3 std, fresh every call; zeros at scale 0. */
  #initialState(e: Tensor, options: ForwardOptions): Tensor {
    const scale = options.initScale ?? this.structure.initScale;
    if (scale === 0) return e.backend.zeros(e.shape, e.dtype);
    const std = this.structure.s0Std * scale;
    const rng = options.rng ?? this.#rng.stream('s0', this.#calls++);
    const values = rng.fillTruncatedNormal(new Float32Array(e.size), 0, std, -3 * std, 3 * std);
    return e.backend.upload(values, e.shape, e.dtype);
  }

  /** Parameters in a stable order (name, tensor); a tied head is not listed twice. */
  parameters(): [string, Tensor][] {
    return [...this.params.entries()];
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
  }
}

export function staticStructure(numLayers: number): RecurrenceStructure {
  return { prelude: Array.from({ length: numLayers }, (_, i) => i), block: [], coda: [], s0Std: S0_STD, initScale: 1 };
}

/** x [B, T, D] -> [B, 1, D]: a row gather (the embedding op on the flattened rows), differentiable. */
function lastPosition(x: Tensor): Tensor {
  const [batch, seq, dim] = x.shape as [number, number, number];
  const rows = x.backend.upload(
    Array.from({ length: batch }, (_, b) => b * seq + seq - 1),
    [batch, 1],
    'i32',
  );
  return ops.embedding(rows, ops.reshape(x, [batch * seq, dim]));
}
