import { RRError } from '@rr/tensor';
import type { TextTokenizer } from '@rr/model';
import { type DataSource, readDocuments } from './documents.js';

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

/**
 * Packs documents back to back ("wrapped", METHOD.md section 2) into rows of seq + 1 tokens:
 * each document is BOS + text + EOS, no document masking, and a document that does not fit
 * continues in the next row. Cycles through the files in order; the position after each row is
 * exact, so a resumed run produces the same rows.
 */
export class TokenPacker {
  #position: DataPosition;
  #docs: string[] | undefined;
  #docsFile = -1;
  #tokens: number[] | undefined;

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
    const out = new Int32Array(rows * this.rowLength);
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
      for (let i = 0; i < take; i++) out[filled + i] = tokens[this.#position.token + i]!;
      filled += take;
      this.#position.token += take;
      if (this.#position.token >= tokens.length) {
        this.#position.document++;
        this.#position.token = 0;
        this.#tokens = undefined;
        emptyPasses = 0;
      }
    }
    return out;
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
        this.#tokens ??= this.tokenizer.encode(this.#docs![this.#position.document]!, { bos: true, eos: true });
        return this.#tokens;
      }
      this.#position = { ...this.#position, file: this.#position.file + 1, document: 0, token: 0 };
    }
  }
}
