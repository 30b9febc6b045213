import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { RRError } from '@rr/tensor';
import type { TextTokenizer } from './tokenizer.js';

/** A Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) through @huggingface/tokenizers. */
export class HfTokenizer implements TextTokenizer {
  readonly #tok: Tokenizer;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, ids: { bos: number; eos: number }) {
    this.#tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    const model = tokenizerJson.model as { vocab?: Record<string, number> | unknown[] } | undefined;
    const vocab = model?.vocab;
    const added = (tokenizerJson.added_tokens as { id: number }[] | undefined) ?? [];
    const size = Array.isArray(vocab) ? vocab.length : Object.keys(vocab ?? {}).length;
    this.vocabSize = Math.max(size, ...added.map((t) => t.id + 1));
    this.bosId = ids.bos;
    this.eosId = ids.eos;
  }

  static fromDirectory(dir: string, ids: { bos: number; eos: number }): HfTokenizer {
    return HfTokenizer.fromFile(join(dir, 'tokenizer.json'), ids);
  }

  /** A tokenizer.json file, with the tokenizer_config.json beside it when there is one. */
  static fromFile(tokenizerJson: string, ids: { bos: number; eos: number }): HfTokenizer {
    const dir = dirname(tokenizerJson);
    const read = (name: string, required: boolean): Record<string, unknown> => {
      const path = name === 'tokenizer.json' ? tokenizerJson : join(dir, name);
      try {
        return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw new RRError('TOKENIZER_INVALID', `${path}: cannot read the tokenizer (${(e as Error).message}).`, {}, { cause: e });
      }
    };
    const json = read('tokenizer.json', true);
    const config = read('tokenizer_config.json', false);
    try {
      return new HfTokenizer(json, config, ids);
    } catch (e) {
      // the library's own message ("must contain a model property", ...) says what is wrong in the file
      throw new RRError(
        'TOKENIZER_INVALID',
        `${tokenizerJson}: not a tokenizer rr can load (${(e as Error).message}). Pass a Hugging Face tokenizer.json.`,
        {},
        { cause: e },
      );
    }
  }

  encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): number[] {
    const ids = this.#tok.encode(text, { add_special_tokens: false }).ids;
    return [...((options.bos ?? true) ? [this.bosId] : []), ...ids, ...(options.eos ? [this.eosId] : [])];
  }

  decode(ids: readonly number[]): string {
    return this.#tok.decode([...ids], { skip_special_tokens: true });
  }
}
