import { type RecurrentLM, type TextTokenizer, generate, generateWithAdaptiveExit } from '@rr/model';
import { RRError, Rng } from '@rr/tensor';
import type { GenerateOptions, Generation, Generator } from './generator.js';

export interface ModelGeneratorOptions {
  /**
   * Seed of the initial recurrent state s0 (a recurrent model draws it afresh for every forward).
   * Each prompt draws from a stream named by its own text, so a completion does not depend on the
   * batch size, the order of prompts or on resuming an interrupted run. Default 0.
   */
  readonly seed?: number;
  /** Overrides the model's initial-state scale (0 = zeros, fully deterministic). */
  readonly initScale?: number;
  /**
   * Context length for the harness's left truncation: a prompt longer than
   * `maxLength - maxNewTokens` tokens keeps only its last ones, as lm-evaluation-harness's
   * `generate_until` does (BOS included in what is cut). Default: the model's
   * `max_position_embeddings`, the harness's choice for Hugging Face models.
   */
  readonly maxLength?: number;
}

/** What a {@link modelGenerator} has done so far. */
export interface ModelGeneratorStats {
  readonly prompts: number;
  readonly promptTokens: number;
  readonly generatedTokens: number;
  /** Wall time inside generate(), for tokens per second. */
  readonly seconds: number;
  /** Prompts cut to fit `maxLength`; their completions saw only the end of the prompt. */
  readonly truncatedPrompts: number;
}

export interface ModelGenerator extends Generator {
  stats(): ModelGeneratorStats;
}

/**
 * The evaluation's {@link Generator} over an @rr/model model: greedy decoding with the KV cache,
 * stopping at the task's stop strings or the tokenizer's EOS (which the harness also adds to its
 * stop list) or after `maxNewTokens`, at recurrence r, or with adaptive exit up to r steps per token.
 *
 * Prompts of a batch run one after another, each with batch 1: the attention kernels have no
 * padding mask yet, so rows of different lengths cannot share a forward. `batch` therefore groups
 * work for logging and resumption only; speed comes from the KV cache.
 */
export function modelGenerator(model: RecurrentLM, tokenizer: TextTokenizer, options: ModelGeneratorOptions = {}): ModelGenerator {
  const root = Rng.fromSeed(options.seed ?? 0);
  const maxLength = options.maxLength ?? model.config.maxPositionEmbeddings;
  let prompts = 0;
  let promptTokens = 0;
  let generatedTokens = 0;
  let seconds = 0;
  let truncatedPrompts = 0;

  const promptIds = (prompt: string, maxNewTokens: number): number[] => {
    const room = maxLength - maxNewTokens;
    if (room < 1) {
      throw new RRError(
        'EVAL_BAD_OPTION',
        `max new tokens ${maxNewTokens} leaves no room for the prompt in the model's context of ${maxLength} positions; lower the max new tokens.`,
        { maxNewTokens, maxLength },
      );
    }
    const ids = tokenizer.encode(prompt, { bos: true });
    if (ids.length <= room) return ids;
    truncatedPrompts++;
    return ids.slice(ids.length - room);
  };

  const generateOne = async (prompt: string, o: GenerateOptions): Promise<Generation> => {
    const ids = promptIds(prompt, o.maxNewTokens);
    const rng = root.stream('prompt', prompt);
    const common = { maxNewTokens: o.maxNewTokens, stop: o.stop, recurrence: o.recurrence, initScale: options.initScale, rng };
    promptTokens += ids.length;
    prompts++;
    if (o.adaptiveExit) {
      const [g] = await generateWithAdaptiveExit(model, tokenizer, [ids], { ...common, kl: o.adaptiveExit.kl });
      return { text: g!.text, tokens: g!.tokens.length, meanSteps: g!.steps.reduce((a, b) => a + b, 0) / Math.max(1, g!.steps.length) };
    }
    const [g] = await generate(model, tokenizer, [ids], common);
    return { text: g!.text, tokens: g!.tokens.length };
  };

  return {
    async generate(batch: readonly string[], o: GenerateOptions): Promise<Generation[]> {
      if (!model.isRecurrent && o.recurrence !== 1) {
        throw new RRError(
          'EVAL_BAD_OPTION',
          `The model is static (it has no recurrent block), so recurrence ${o.recurrence} would repeat recurrence 1; evaluate it at recurrence 1 only.`,
          { recurrence: o.recurrence },
        );
      }
      const began = performance.now();
      const out: Generation[] = [];
      try {
        for (const prompt of batch) {
          const g = await generateOne(prompt, o);
          generatedTokens += g.tokens;
          out.push(g);
        }
      } finally {
        seconds += (performance.now() - began) / 1000;
      }
      return out;
    },
    stats: () => ({ prompts, promptTokens, generatedTokens, seconds, truncatedPrompts }),
  };
}
