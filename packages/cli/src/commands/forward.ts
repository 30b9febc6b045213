import { loadModel } from '@rr/model';
import { RRError, noGrad, scope } from '@rr/tensor';
import { type BackendChoice, createBackend } from '../backends.js';
import { checkInference } from '../run-limits.js';

export interface ForwardCommandOptions {
  model: string;
  backend: string;
  tokens: number[];
  recurrence: number;
  initScale?: number;
  tokenizer?: string;
  /** Go beyond the model's max_position_embeddings on purpose. */
  allowExtrapolation?: boolean;
  /** Told which backend runs the model, before it loads. */
  onBackend?: (choice: BackendChoice) => void;
}

/** `rr forward`: the logits of the last position, a debugging and parity tool. */
export async function forwardCommand(o: ForwardCommandOptions): Promise<{ logits: number[]; backend: string; adapter: string | null }> {
  let chosen: BackendChoice | undefined;
  const backend = await createBackend(o.backend, {
    onChosen: (c) => {
      chosen = c;
      o.onBackend?.(c);
    },
  });
  try {
    const { model } = loadModel(o.model, backend, o.tokenizer ? { tokenizerPath: o.tokenizer } : {});
    const bad = o.tokens.find((t) => t >= model.config.vocabSize);
    if (bad !== undefined) throw new RRError('BAD_FLAG', `--tokens: id ${bad} is outside the vocabulary [0, ${model.config.vocabSize}).`);
    checkInference({
      model,
      modelPath: o.model,
      positions: o.tokens.length,
      what: `--tokens (${o.tokens.length} ids)`,
      recurrences: [o.recurrence],
      cachePositions: 0,
      allowExtrapolation: o.allowExtrapolation,
    });
    const logits = noGrad(() =>
      scope(() =>
        model.forward(backend.upload(o.tokens, [1, o.tokens.length], 'i32'), { recurrence: o.recurrence, initScale: o.initScale, lastPositionOnly: true }),
      ),
    );
    const values = await logits.read();
    logits.dispose();
    return { logits: Array.from(values), backend: chosen!.backend, adapter: chosen!.adapter };
  } finally {
    backend.destroy();
  }
}
