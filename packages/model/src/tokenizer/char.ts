import { RRError } from '@rr/tensor';
import type { TextTokenizer } from './tokenizer.js';

/**
 * One token per character of a fixed alphabet, for toy models trained from scratch (the demo,
 * tests): id 0 is padding, 1 BOS, 2 EOS, then the alphabet's characters in order. Encoding a
 * character outside the alphabet is an RRError rather than a silent unknown token, so a data
 * generator and its tokenizer cannot drift apart unnoticed.
 */
export class CharTokenizer implements TextTokenizer {
  readonly padId = 0;
  readonly bosId = 1;
  readonly eosId = 2;
  readonly vocabSize: number;
  readonly alphabet: string;
  readonly #ids = new Map<string, number>();
  readonly #chars: string[];

  constructor(alphabet: string) {
    const chars = [...alphabet];
    if (chars.length === 0) throw new RRError('BAD_ARGUMENT', 'CharTokenizer: the alphabet is empty; pass the characters the text uses.');
    for (const c of chars) {
      if (this.#ids.has(c)) throw new RRError('BAD_ARGUMENT', `CharTokenizer: the alphabet lists ${JSON.stringify(c)} twice; each character must appear once.`);
      this.#ids.set(c, CharTokenizer.FIRST_ID + this.#ids.size);
    }
    this.alphabet = alphabet;
    this.#chars = chars;
    this.vocabSize = CharTokenizer.FIRST_ID + chars.length;
  }

  /** Id of the alphabet's first character (0-2 are pad, BOS, EOS). */
  static readonly FIRST_ID = 3;

  encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): number[] {
    const ids: number[] = [];
    if (options.bos ?? true) ids.push(this.bosId);
    for (const c of text) {
      const id = this.#ids.get(c);
      if (id === undefined) {
        throw new RRError(
          'TOKENIZER_UNKNOWN_CHARACTER',
          `CharTokenizer: ${JSON.stringify(c)} in ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text)} is not in the alphabet ${JSON.stringify(this.alphabet)}; add it to the alphabet.`,
        );
      }
      ids.push(id);
    }
    if (options.eos) ids.push(this.eosId);
    return ids;
  }

  decode(ids: readonly number[]): string {
    let text = '';
    for (const id of ids) {
      const c = this.#chars[id - CharTokenizer.FIRST_ID];
      if (c !== undefined) text += c;
    }
    return text;
  }
}
