import { readFileSync } from 'node:fs';
import { RRError } from '@rr/tensor';
import type { TextTokenizer } from './tokenizer.js';

/**
 * llama2.c's tokenizer.bin: int32 max_token_length, then per token a float32 merge score, an int32
 * byte length and the UTF-8 bytes. Encoding follows llama2.c's `encode`: a dummy-prefix space,
 * one token per code point (bytes + 3 as fallback), then greedy merges of the best-scoring pair.
 */
export class Llama2cTokenizer implements TextTokenizer {
  readonly bosId = 1;
  readonly eosId = 2;
  readonly vocabSize: number;
  readonly #pieces: Uint8Array[];
  readonly #scores: Float32Array;
  readonly #lookup = new Map<string, number>();

  constructor(bytes: Uint8Array, vocabSize: number, source = 'tokenizer.bin') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fail = (why: string): never => {
      throw new RRError('TOKENIZER_INVALID', `${source}: ${why}; expected llama2.c's tokenizer.bin for a vocabulary of ${vocabSize}.`);
    };
    this.vocabSize = vocabSize;
    this.#pieces = [];
    this.#scores = new Float32Array(vocabSize);
    let off = 4;
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < vocabSize; i++) {
      if (off + 8 > bytes.length) fail(`truncated at token ${i}`);
      this.#scores[i] = view.getFloat32(off, true);
      const len = view.getInt32(off + 4, true);
      off += 8;
      if (len < 0 || off + len > bytes.length) fail(`token ${i} has a bad length ${len}`);
      const piece = bytes.slice(off, off + len);
      off += len;
      this.#pieces.push(piece);
      const text = decoder.decode(piece);
      if (!this.#lookup.has(text)) this.#lookup.set(text, i);
    }
  }

  static fromFile(path: string, vocabSize: number): Llama2cTokenizer {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new RRError('FILE_NOT_FOUND', `${path}: cannot read the llama2.c tokenizer (${(e as Error).message}); pass --tokenizer PATH.`, {}, { cause: e });
    }
    return new Llama2cTokenizer(bytes, vocabSize, path);
  }

  encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): number[] {
    const ids: number[] = [];
    if (options.bos ?? true) ids.push(this.bosId);
    const tokens: number[] = [];
    if (text.length > 0) {
      const space = this.#lookup.get(' ');
      if (space !== undefined) tokens.push(space);
    }
    const encoder = new TextEncoder();
    for (const ch of text) {
      const id = this.#lookup.get(ch);
      if (id !== undefined) tokens.push(id);
      else for (const byte of encoder.encode(ch)) tokens.push(byte + 3);
    }
    // merge the best-scoring adjacent pair until none is in the vocabulary
    const decoder = new TextDecoder('utf-8');
    const pieceText = (id: number): string => decoder.decode(this.#pieces[id]!);
    for (;;) {
      let best = -Infinity;
      let bestId = -1;
      let bestAt = -1;
      for (let i = 0; i + 1 < tokens.length; i++) {
        const id = this.#lookup.get(pieceText(tokens[i]!) + pieceText(tokens[i + 1]!));
        if (id !== undefined && this.#scores[id]! > best) {
          best = this.#scores[id]!;
          bestId = id;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      tokens.splice(bestAt, 2, bestId);
    }
    ids.push(...tokens);
    if (options.eos) ids.push(this.eosId);
    return ids;
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    let previous = -1;
    for (const id of ids) {
      if (id === this.bosId || id === this.eosId || id < 0 || id >= this.vocabSize) {
        previous = id;
        continue;
      }
      let piece = this.#pieces[id]!;
      const raw = /^<0x([0-9A-Fa-f]{2})>$/.exec(new TextDecoder().decode(piece));
      if (raw) piece = new Uint8Array([parseInt(raw[1]!, 16)]);
      // llama2.c strips the dummy-prefix space of the first piece after BOS
      if ((previous === this.bosId || previous === -1) && bytes.length === 0 && piece[0] === 0x20) piece = piece.subarray(1);
      bytes.push(...piece);
      previous = id;
    }
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
  }
}
