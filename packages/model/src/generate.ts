import { RRError, Rng, type Tensor, noGrad, scope } from '@rr/tensor';
import { KVCache } from './kv-cache.js';
import type { RecurrentLM } from './recurrent-lm.js';
import type { TextTokenizer } from './tokenizer/tokenizer.js';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 (default) is greedy argmax. */
  temperature?: number;
  /** Generation stops when the decoded text contains one of these; the text is cut before it. */
  stop?: readonly string[];
  recurrence?: number;
  initScale?: number;
  /** Incremental decoding with a KV cache (default); false recomputes the whole prefix per token. */
  useCache?: boolean;
  /** Sampling and s0 stream (default: seed 0). */
  rng?: Rng;
  /** Called after each new token (progress, streaming). */
  onToken?: (promptIndex: number, tokenId: number) => void;
}

export interface Generation {
  /** Decoded new text, cut before a stop string. */
  text: string;
  /** New token ids (including a final EOS when that ended it). */
  tokens: number[];
  stoppedBy: 'eos' | 'stop' | 'length';
}

/**
 * Generates a continuation for each prompt (text, or token ids that already include BOS).
 * Prompts run one after another, each with batch 1: rows of different lengths would need padding
 * masks in attention, which the kernels do not have yet.
 */
export async function generate(
  model: RecurrentLM,
  tokenizer: TextTokenizer,
  prompts: readonly (string | readonly number[])[],
  options: GenerateOptions,
): Promise<Generation[]> {
  return eachPrompt('generate', tokenizer, prompts, options, (ids, rng, p) =>
    generateOne(model, tokenizer, ids, options, rng, (id) => options.onToken?.(p, id)),
  );
}

/**
 * The loop around one prompt's generation that `generate` and `generateWithAdaptiveExit` share:
 * `op` names the caller in the maxNewTokens check; text prompts are encoded with BOS; prompt p
 * draws from its own stream of `options.rng`, so its tokens do not depend on the prompts before it.
 */
export async function eachPrompt<R>(
  op: string,
  tokenizer: TextTokenizer,
  prompts: readonly (string | readonly number[])[],
  options: { maxNewTokens: number; rng?: Rng },
  one: (ids: number[], rng: Rng, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) {
    throw new RRError('BAD_ARGUMENT', `${op}: maxNewTokens = ${options.maxNewTokens} must be a positive integer.`);
  }
  const rng = options.rng ?? Rng.fromSeed(0);
  const results: R[] = [];
  for (let p = 0; p < prompts.length; p++) {
    const prompt = prompts[p]!;
    const ids = typeof prompt === 'string' ? tokenizer.encode(prompt, { bos: true }) : [...prompt];
    results.push(await one(ids, rng.stream('prompt', p), p));
  }
  return results;
}

async function generateOne(
  model: RecurrentLM,
  tokenizer: TextTokenizer,
  promptIds: number[],
  options: GenerateOptions,
  rng: Rng,
  onToken: (id: number) => void,
): Promise<Generation> {
  const useCache = options.useCache ?? true;
  const backend = model.backend;
  const dtype = model.param('model.embed_tokens.weight').dtype as 'f32' | 'f64';
  const capacity = promptIds.length + options.maxNewTokens;
  const cache = useCache ? new KVCache(backend, 1, capacity, model.config.numKvHeads * model.config.headDim, dtype) : undefined;
  const forwardOptions = {
    recurrence: options.recurrence,
    initScale: options.initScale,
    cache,
    lastPositionOnly: true,
  };
  const sequence = [...promptIds];
  const generated: number[] = [];
  let stoppedBy: Generation['stoppedBy'] = 'length';
  let text = '';
  try {
    let pending = promptIds;
    for (let step = 0; step < options.maxNewTokens; step++) {
      const input = useCache ? pending : sequence;
      const logits: Tensor = noGrad(() =>
        scope(() => {
          const tokens = backend.upload(input, [1, input.length], 'i32');
          return model.forward(tokens, { ...forwardOptions, rng: rng.stream('s0', step) });
        }),
      );
      const values = (await logits.read()) as Float32Array | Float64Array;
      logits.dispose();
      const next = pick(values, options.temperature ?? 0, rng.stream('sample', step));
      generated.push(next);
      sequence.push(next);
      pending = [next];
      onToken(next);
      const end = endOfToken(generated, tokenizer, options.stop ?? []);
      text = end.text;
      if (end.stoppedBy) {
        stoppedBy = end.stoppedBy;
        break;
      }
    }
    return { text, tokens: generated, stoppedBy };
  } finally {
    cache?.dispose();
  }
}

/**
 * After a new token is appended to `generated`: the text so far (cut before the first stop
 * string) and why generation ends, if it does. Shared by every decoding loop.
 */
export function endOfToken(generated: readonly number[], tokenizer: TextTokenizer, stops: readonly string[]): { text: string; stoppedBy?: 'eos' | 'stop' } {
  const text = tokenizer.decode(generated);
  if (generated[generated.length - 1] === tokenizer.eosId) return { text, stoppedBy: 'eos' };
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at >= 0 ? { text: text.slice(0, at), stoppedBy: 'stop' } : { text };
}

/** Greedy choice: the highest logit, lowest id on ties. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** Greedy argmax (lowest id on ties), or a sample from softmax(logits / temperature). */
function pick(logits: Float32Array | Float64Array, temperature: number, rng: Rng): number {
  if (temperature <= 0) return argmax(logits);
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const weights = Array.from(logits, (v) => Math.exp((v - max) / temperature));
  return rng.categorical(weights);
}
