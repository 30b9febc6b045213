import { type Generation, generate, loadModel } from '@rr/model';
import { RRError, Rng } from '@rr/tensor';
import { type BackendChoice, createBackend } from '../backends.js';
import { checkInference } from '../run-limits.js';

export interface GenerateCommandOptions {
  model: string;
  backend: string;
  prompt: string;
  maxTokens: number;
  recurrence: number;
  temperature: number;
  seed: number;
  initScale?: number;
  cache: boolean;
  stop: string[];
  tokenizer?: string;
  /** Go beyond the model's max_position_embeddings on purpose. */
  allowExtrapolation?: boolean;
  onToken?: (text: string) => void;
  /** Told which backend runs the model, before it loads. */
  onBackend?: (choice: BackendChoice) => void;
}

/** `rr generate`: one prompt, greedy (temperature 0) or sampled; streams text through onToken. */
export async function generateCommand(o: GenerateCommandOptions): Promise<Generation & { tokensPerSecond: number; backend: string; adapter: string | null }> {
  let chosen: BackendChoice | undefined;
  const backend = await createBackend(o.backend, {
    onChosen: (c) => {
      chosen = c;
      o.onBackend?.(c);
    },
  });
  try {
    const { model, tokenizer } = loadModel(o.model, backend, o.tokenizer ? { tokenizerPath: o.tokenizer } : {});
    if (!tokenizer)
      throw new RRError('TOKENIZER_MISSING', `${o.model}: no tokenizer found (tokenizer.json, or a llama2.c tokenizer.bin); pass --tokenizer FILE.`);
    const promptTokens = tokenizer.encode(o.prompt, { bos: true }).length;
    const positions = promptTokens + o.maxTokens;
    checkInference({
      model,
      modelPath: o.model,
      positions,
      what: `--max-tokens ${o.maxTokens} after a ${promptTokens}-token prompt`,
      recurrences: [o.recurrence],
      cachePositions: o.cache ? positions : 0,
      allowExtrapolation: o.allowExtrapolation,
    });
    const ids: number[] = [];
    let shown = '';
    const t0 = performance.now();
    const [out] = await generate(model, tokenizer, [o.prompt], {
      maxNewTokens: o.maxTokens,
      recurrence: o.recurrence,
      temperature: o.temperature,
      initScale: o.initScale,
      useCache: o.cache,
      stop: o.stop,
      rng: Rng.fromSeed(o.seed),
      onToken: (_p, id) => {
        ids.push(id);
        const text = tokenizer.decode(ids);
        o.onToken?.(text.slice(shown.length));
        shown = text;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    return { ...out!, tokensPerSecond: out!.tokens.length / seconds, backend: chosen!.backend, adapter: chosen!.adapter };
  } finally {
    backend.destroy();
  }
}
