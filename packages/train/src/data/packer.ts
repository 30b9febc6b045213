import { RRError, Rng } from '@rr/tensor';
import type { TextTokenizer } from '@rr/model';
import { DocumentTokens } from './document-tokens.js';
import type { DataSource } from './documents.js';
import { MixSchedule } from './mix-schedule.js';
import { SourceStream, type StreamPosition } from './source-stream.js';

export type { StreamPosition } from './source-stream.js';

/** Where the packer stands: enough to resume exactly (saved in checkpoints). JSON-serialisable. */
export interface DataPosition {
  /** Documents finished in this phase: the mix schedule's clock. */
  drawn: number;
  /** Tokens of the current (unfinished) document already emitted. */
  token: number;
  /** Path of the source the current document comes from, while `token` > 0. */
  source?: string;
  /** Each source's own place, by source path; a later phase listing the same path continues from it. */
  streams: Record<string, StreamPosition>;
  /** Documents finished and tokens emitted per source path in this phase: the realised mix. */
  documents: Record<string, number>;
  tokens: Record<string, number>;
}

export const START: DataPosition = Object.freeze({ drawn: 0, token: 0, streams: {}, documents: {}, tokens: {} }) as DataPosition;

export interface PackerOptions {
  /** Where to start (a checkpoint's position, or `continuation()` of the previous phase). Default: the beginning. */
  position?: DataPosition;
  /** Seeds the interleaving of sources and, with `shuffle`, each source's file and document order. Default 0. */
  seed?: number;
  /** Visit each source's files and documents in a seeded order, new every epoch (default false: file order). */
  shuffle?: boolean;
  /**
   * What the weights share out: `documents` (default; exact per block of draws) or `tokens` (each
   * document goes to a source drawn in proportion to how far it is behind its share of the tokens,
   * so sources with longer documents get fewer of them, as a mix evened in packed rows does).
   */
  mixBy?: MixBy;
}

export type MixBy = 'documents' | 'tokens';

/** Packed rows and, per token, whether predicting it counts in the loss. */
export interface PackedRows {
  /** [rows, rowLength] token ids. */
  tokens: Int32Array;
  /** 1 where the token is scored as a label, 0 inside a source's `promptTemplate` part. */
  scored: Uint8Array;
}

/** One source's part of the mix: asked for (its normalised weight) and realised so far. */
export interface MixShare {
  source: string;
  weight: number;
  documents: number;
  /** Share of the documents finished in this phase. */
  documentShare: number;
  tokens: number;
  /** Share of the tokens emitted in this phase. */
  tokenShare: number;
}

/**
 * Packs documents back to back ("wrapped", docs/method.md section 2) into rows of seq + 1 tokens:
 * each document is BOS + text + EOS, no document masking, and a document that does not fit
 * continues in the next row. With several sources, each document comes from the source the
 * weighted `MixSchedule` names (seeded, shuffled across sources); each source cycles through its
 * own documents (shuffled within it with `shuffle`). The position after each row is exact, so a
 * resumed run produces the same rows. A source with a `promptTemplate` puts the rendered prompt
 * between BOS and the text and marks BOS and the prompt as unscored.
 */
export class TokenPacker {
  readonly #position: DataPosition;
  readonly #streams: SourceStream[];
  readonly #schedule: MixSchedule;
  readonly #mixBy: MixBy;
  readonly #seed: number;
  /** The document being emitted (its tokens encoded as far as the rows need them). */
  #doc: DocumentTokens | undefined;

  constructor(
    readonly sources: readonly DataSource[],
    readonly tokenizer: TextTokenizer,
    readonly rowLength: number,
    options: PackerOptions = {},
  ) {
    if (sources.length === 0) throw new RRError('DATA_INVALID', 'data: at least one data source is needed.');
    if (!Number.isInteger(rowLength) || rowLength < 2) throw new RRError('BAD_ARGUMENT', `TokenPacker: rowLength = ${rowLength} must be an integer >= 2.`);
    const seen = new Set<string>();
    for (const s of sources) {
      if (seen.has(s.path)) throw new RRError('DATA_INVALID', `data: ${s.path} is listed twice in one mix; list it once with the combined weight.`);
      seen.add(s.path);
    }
    const seed = options.seed ?? 0;
    this.#streams = sources.map((s) => new SourceStream(s, s.path, seed, options.shuffle ?? false));
    this.#schedule = new MixSchedule(
      sources.map((s) => s.weight ?? 1),
      seed,
    );
    this.#mixBy = options.mixBy ?? 'documents';
    this.#seed = seed;
    const position = options.position ?? START;
    if (typeof position.drawn !== 'number' || typeof position.streams !== 'object' || position.streams === null) {
      throw new RRError(
        'CHECKPOINT_INVALID',
        `data position ${JSON.stringify(position)} is not one this version of rr writes (a checkpoint of an older version?); start the run again in a new "out" folder.`,
      );
    }
    this.#position = structuredClone(position);
  }

  get position(): DataPosition {
    return structuredClone(this.#position);
  }

  /**
   * Where the next phase starts: every source's stream as it stands, past the current document if
   * it was cut off (its rest is not trained on), with a fresh mix clock and counts.
   */
  async continuation(): Promise<DataPosition> {
    const streams = structuredClone(this.#position.streams);
    if (this.#position.token > 0) {
      const s = this.#streams[this.#currentSource()]!;
      const at = (streams[s.key] ??= { epoch: 0, file: 0, document: 0 });
      await s.document(at);
      s.advance(at);
    }
    return { drawn: 0, token: 0, streams, documents: {}, tokens: {} };
  }

  /** The weights asked for and the mix realised in this phase so far. */
  mix(): MixShare[] {
    const total = this.sources.reduce((s, d) => s + (d.weight ?? 1), 0);
    const docs = this.sources.map((s) => this.#position.documents[s.path] ?? 0);
    const tokens = this.sources.map((s) => this.#position.tokens[s.path] ?? 0);
    const allDocs = docs.reduce((a, b) => a + b, 0);
    const allTokens = tokens.reduce((a, b) => a + b, 0);
    return this.sources.map((s, i) => ({
      source: s.path,
      weight: (s.weight ?? 1) / total,
      documents: docs[i]!,
      documentShare: allDocs > 0 ? docs[i]! / allDocs : 0,
      tokens: tokens[i]!,
      tokenShare: allTokens > 0 ? tokens[i]! / allTokens : 0,
    }));
  }

  /** `rows` packed rows as one [rows, rowLength] Int32Array. */
  async next(rows: number): Promise<Int32Array> {
    return (await this.nextRows(rows)).tokens;
  }

  /** `rows` packed rows with their loss mask. */
  async nextRows(rows: number): Promise<PackedRows> {
    const out = new Int32Array(rows * this.rowLength);
    const scored = new Uint8Array(out.length);
    const p = this.#position;
    let filled = 0;
    while (filled < out.length) {
      const stream = this.#streams[this.#currentSource()]!;
      p.source = stream.key;
      const at = (p.streams[stream.key] ??= { epoch: 0, file: 0, document: 0 });
      const doc = await this.#currentDocument(stream, at);
      // only as many tokens as these rows need are encoded (a huge document is read piece by piece)
      doc.fill(p.token + out.length - filled);
      const tokens = doc.tokens;
      const take = Math.min(tokens.length - p.token, out.length - filled);
      for (let i = 0; i < take; i++) {
        out[filled + i] = tokens[p.token + i]!;
        scored[filled + i] = p.token + i >= doc.scoredFrom ? 1 : 0;
      }
      filled += take;
      p.token += take;
      p.tokens[stream.key] = (p.tokens[stream.key] ?? 0) + take;
      if (p.token >= tokens.length && doc.complete) {
        stream.advance(at);
        p.documents[stream.key] = (p.documents[stream.key] ?? 0) + 1;
        p.drawn++;
        p.token = 0;
        delete p.source;
        this.#doc = undefined;
      }
    }
    return { tokens: out, scored };
  }

  /** Index of the source of the current document: the one it was drawn from, or a fresh draw at a document boundary. */
  #currentSource(): number {
    const p = this.#position;
    if (p.token > 0 && p.source !== undefined) {
      const i = this.sources.findIndex((s) => s.path === p.source);
      if (i >= 0) return i;
    }
    return this.#mixBy === 'tokens' ? this.#tokenDeficitDraw() : this.#schedule.sourceOf(p.drawn);
  }

  /**
   * A source drawn with probability proportional to how many tokens it is short of its share
   * (weights alone while none is short), seeded by the number of documents drawn: a pure function
   * of the position, so a resumed run draws the same.
   */
  #tokenDeficitDraw(): number {
    const p = this.#position;
    const weights = this.sources.map((s) => s.weight ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    const emitted = this.sources.map((s) => p.tokens[s.path] ?? 0);
    const all = emitted.reduce((a, b) => a + b, 0);
    const deficits = weights.map((w, i) => Math.max(0, (w / total) * all - emitted[i]!));
    const odds = deficits.some((d) => d > 0) ? deficits : weights;
    return Rng.fromSeed(this.#seed).stream('mix-tokens', p.drawn).categorical(odds);
  }

  /** BOS + prompt + text + EOS of the current document (kept while it is being emitted). */
  async #currentDocument(stream: SourceStream, at: StreamPosition): Promise<DocumentTokens> {
    if (!this.#doc) {
      const { prompt, text } = await stream.document(at);
      this.#doc = new DocumentTokens(this.tokenizer, prompt, text);
    }
    return this.#doc;
  }
}
