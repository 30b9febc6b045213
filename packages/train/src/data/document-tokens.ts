import type { TextTokenizer } from '@rr/model';

/**
 * Characters encoded per tokenizer call. Far above any normal document, so those encode in one
 * call exactly as before; a longer one (a whole book on one line) is encoded piece by piece, only
 * as far as the run reads it, instead of in one call whose time grows faster than its length.
 */
export const PIECE_CHARS = 1 << 16;

/**
 * One document's tokens: BOS + prompt + text + EOS, the text encoded lazily in pieces of at most
 * PIECE_CHARS characters, cut at whitespace where there is some. Token `i` is the same on every
 * run (the pieces depend only on the text), so positions saved in checkpoints stay exact.
 * A piece boundary can tokenize slightly differently from a single call (one extra token at most
 * per 64K characters); documents shorter than a piece are unaffected.
 */
export class DocumentTokens {
  readonly tokens: number[];
  /** Index of the first token scored in the loss (after BOS and the prompt). */
  readonly scoredFrom: number;
  readonly #tokenizer: TextTokenizer;
  readonly #text: string;
  #offset = 0;

  constructor(tokenizer: TextTokenizer, prompt: string, text: string) {
    this.#tokenizer = tokenizer;
    this.#text = text;
    // the prompt is encoded apart so the boundary is exact (a joint encoding could merge across it)
    this.tokens = prompt === '' ? [tokenizer.bosId] : tokenizer.encode(prompt, { bos: true, eos: false });
    this.scoredFrom = prompt === '' ? 0 : this.tokens.length;
    if (prompt === '' && text.length <= PIECE_CHARS) {
      // the common case in one call, exactly the tokens of encode(text, { bos, eos })
      this.tokens = tokenizer.encode(text, { bos: true, eos: true });
      this.#offset = text.length + 1;
    }
  }

  /** Whether every token of the document is in `tokens`. */
  get complete(): boolean {
    return this.#offset > this.#text.length;
  }

  /** Encodes pieces until `tokens` holds at least `count` tokens or the whole document. */
  fill(count: number): void {
    while (this.tokens.length < count && !this.complete) {
      const end = this.#pieceEnd();
      const last = end >= this.#text.length;
      const ids = this.#tokenizer.encode(this.#text.slice(this.#offset, end), { bos: false, eos: last });
      for (const id of ids) this.tokens.push(id);
      this.#offset = last ? this.#text.length + 1 : end;
    }
  }

  #pieceEnd(): number {
    const text = this.#text;
    let end = Math.min(this.#offset + PIECE_CHARS, text.length);
    if (end >= text.length) return text.length;
    // cut after the last whitespace of the piece's second half, if any
    for (let i = end - 1; i > this.#offset + PIECE_CHARS / 2; i--) {
      if (/\s/.test(text[i]!)) return i + 1;
    }
    // never between the two halves of a surrogate pair
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end--;
    return end;
  }
}
