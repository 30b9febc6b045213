/**
 * What the evaluation needs from a model: batched greedy continuation of text prompts at a chosen
 * recurrence. @rr/model's generation implements it; tests use scripted fakes. Kept this small so
 * the harness does not depend on how a model is loaded, batched or run.
 */
export interface GenerateOptions {
  /** Upper bound on generated tokens per prompt (the harness's max_gen_toks, 256 by default). */
  readonly maxNewTokens: number;
  /**
   * Stop generating a prompt's continuation once its decoded text contains any of these. The
   * evaluator cuts the text at the first occurrence afterwards, so overshooting by a few tokens is
   * harmless. The generator should also stop at its tokenizer's end-of-sequence token, as the
   * harness adds the decoded EOS to this list.
   */
  readonly stop: readonly string[];
  /** Recurrence r of the recurrent block (1 for a static model); the maximum under adaptive exit. */
  readonly recurrence: number;
  /** Stop recurring per token once successive steps' output distributions differ by less than `kl`. */
  readonly adaptiveExit?: { readonly kl: number };
}

export interface Generation {
  /** The decoded continuation only (not the prompt), special tokens skipped. */
  readonly text: string;
  /** Generated tokens, for tokens/s. */
  readonly tokens: number;
  /** Recurrence steps per generated token; default `recurrence`. Set under adaptive exit. */
  readonly meanSteps?: number;
}

export interface Generator {
  /** Greedy (argmax) decoding; one Generation per prompt, in prompt order. */
  generate(prompts: readonly string[], options: GenerateOptions): Promise<readonly Generation[]>;
}
