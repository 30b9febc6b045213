import { RRError } from '@rr/tensor';
import type { TextTokenizer } from '@rr/model';
import { type DataSource, type Document, readDocuments } from './documents.js';

/** Where the packer stands: enough to resume exactly (saved in checkpoints). */
export interface DataPosition {
  epoch: number;
  /** Index into the source list. */
  file: number;
  /** Document index within the file. */
  document: number;
  /** Tokens of that document already emitted. */
  token: number;
}

export const START: DataPosition = { epoch: 0, file: 0, document: 0, token: 0 };

/** Packed rows and, per token, whether predicting it counts in the loss. */
export interface PackedRows {
  /** [rows, rowLength] token ids. */
  tokens: Int32Array;
  /** 1 where the token is scored as a label, 0 inside a source's `promptTemplate` part. */
  scored: Uint8Array;
}

/**
 * Packs documents back to back ("wrapped", docs/method.md section 2) into rows of seq + 1 tokens:
 * each document is BOS + text + EOS, no document masking, and a document that does not fit
 * continues in the next row. Cycles through the files in order; the position after each row is
 * exact, so a resumed run produces the same rows. A source with a `promptTemplate` puts the
 * rendered prompt between BOS and the text and marks BOS and the prompt as unscored.
 */
export class TokenPacker {
  #position: DataPosition;
  #docs: Document[] | undefined;
  #docsFile = -1;
  #tokens: number[] | undefined;
  /** Index of the current document's first scored token. */
  #scoredFrom = 0;

  constructor(
    readonly sources: readonly DataSource[],
    readonly tokenizer: TextTokenizer,
    readonly rowLength: number,
    position: DataPosition = START,
  ) {
    if (sources.length === 0) throw new RRError('DATA_INVALID', 'data: at least one data file is needed.');
    if (!Number.isInteger(rowLength) || rowLength < 2) throw new RRError('BAD_ARGUMENT', `TokenPacker: rowLength = ${rowLength} must be an integer >= 2.`);
    this.#position = { ...position };
  }

  get position(): DataPosition {
    return { ...this.#position };
  }

  /** `rows` packed rows as one [rows, rowLength] Int32Array. */
  async next(rows: number): Promise<Int32Array> {
    return (await this.nextRows(rows)).tokens;
  }

  /** `rows` packed rows with their loss mask. */
  async nextRows(rows: number): Promise<PackedRows> {
    const out = new Int32Array(rows * this.rowLength);
    const scored = new Uint8Array(out.length);
    let filled = 0;
    let emptyPasses = 0;
    while (filled < out.length) {
      const tokens = await this.#currentTokens();
      if (!tokens) {
        // past the last document of the last file: next epoch
        if (++emptyPasses > 1) throw new RRError('DATA_EMPTY', `data: the files ${this.sources.map((s) => s.path).join(', ')} contain no documents.`);
        this.#position = { epoch: this.#position.epoch + 1, file: 0, document: 0, token: 0 };
        continue;
      }
      const take = Math.min(tokens.length - this.#position.token, out.length - filled);
      for (let i = 0; i < take; i++) {
        out[filled + i] = tokens[this.#position.token + i]!;
        scored[filled + i] = this.#position.token + i >= this.#scoredFrom ? 1 : 0;
      }
      filled += take;
      this.#position.token += take;
      if (this.#position.token >= tokens.length) {
        this.#position.document++;
        this.#position.token = 0;
        this.#tokens = undefined;
        emptyPasses = 0;
      }
    }
    return { tokens: out, scored };
  }

  /** BOS + text + EOS of the document at the position, moving across files; undefined at the end. */
  async #currentTokens(): Promise<number[] | undefined> {
    for (;;) {
      if (this.#position.file >= this.sources.length) return undefined;
      if (this.#docsFile !== this.#position.file) {
        this.#docs = await readDocuments(this.sources[this.#position.file]!);
        this.#docsFile = this.#position.file;
        this.#tokens = undefined;
      }
      if (this.#position.document < this.#docs!.length) {
        if (!this.#tokens) {
          const { prompt, text } = this.#docs![this.#position.document]!;
          if (prompt === '') {
            this.#tokens = this.tokenizer.encode(text, { bos: true, eos: true });
            this.#scoredFrom = 0;
          } else {
            // encoded apart so the boundary is exact (a joint encoding could merge across it)
            const head = this.tokenizer.encode(prompt, { bos: true, eos: false });
            this.#tokens = [...head, ...this.tokenizer.encode(text, { bos: false, eos: true })];
            this.#scoredFrom = head.length;
          }
        }
        return this.#tokens;
      }
      this.#position = { ...this.#position, file: this.#position.file + 1, document: 0, token: 0 };
    }
  }
}
