import { basename } from 'node:path';
import { RRError, Rng } from '@rr/tensor';
import { type DataSource, type Document, readDocuments, sourceFiles } from './documents.js';

/** Where one source's own stream of documents stands: the next document it will give. */
export interface StreamPosition {
  /** Passes over the whole source completed. */
  epoch: number;
  /** Index into this epoch's file order. */
  file: number;
  /** Index into that file's document order. */
  document: number;
}

/**
 * The documents of one source, epoch after epoch. With `shuffle`, every epoch visits the files in
 * a seeded order and each file's documents in a seeded order; both orders depend only on
 * (seed, the source's file name, epoch, file), so any position can be re-entered exactly. One file is held in
 * memory at a time.
 */
export class SourceStream {
  readonly files: string[];
  #loadedFor = '';
  #docs: Document[] = [];
  #order: Int32Array | undefined;

  constructor(
    readonly source: DataSource,
    readonly key: string,
    readonly seed: number,
    readonly shuffle: boolean,
  ) {
    this.files = sourceFiles(source);
  }

  /** The document at `at`, moving `at` past empty files and finished epochs. */
  async document(at: StreamPosition): Promise<Document> {
    let emptyFiles = 0;
    for (;;) {
      if (at.file >= this.files.length) {
        at.epoch++;
        at.file = 0;
        at.document = 0;
      }
      const docs = await this.#load(at);
      if (at.document < docs.length) {
        emptyFiles = 0;
        return docs[this.#order ? this.#order[at.document]! : at.document]!;
      }
      if (docs.length === 0 && ++emptyFiles > this.files.length) {
        throw new RRError('DATA_EMPTY', `data: ${this.source.path} contains no documents.`);
      }
      at.file++;
      at.document = 0;
    }
  }

  /** Moves `at` to the next document (the current one must have been read by `document`). */
  advance(at: StreamPosition): void {
    at.document++;
  }

  async #load(at: StreamPosition): Promise<Document[]> {
    const fileIndex = this.shuffle ? this.#fileOrder(at.epoch)[at.file]! : at.file;
    const id = `${at.epoch}/${fileIndex}`;
    if (this.#loadedFor !== id) {
      this.#docs = await readDocuments(this.source, this.files[fileIndex]!);
      this.#order = this.shuffle ? this.#rng('documents', at.epoch, fileIndex).permutation(this.#docs.length) : undefined;
      this.#loadedFor = id;
    }
    return this.#docs;
  }

  #fileOrder(epoch: number): Int32Array {
    return this.#rng('files', epoch).permutation(this.files.length);
  }

  // keyed by the file name, never by the folder the data sits in: the same recipe and seed then read
  // the same documents in any clone or working directory
  #rng(...parts: (string | number)[]): Rng {
    return Rng.fromSeed(this.seed).stream('data', basename(this.key), ...parts);
  }
}
