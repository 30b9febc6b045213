import { RRError, Rng } from '@rr/tensor';

/**
 * Which source the i-th document of a phase comes from, for sources with relative weights.
 *
 * Draws are grouped in blocks of about `blockSize` documents. Block k holds
 * floor((k+1)·B·w_s) − floor(k·B·w_s) documents of source s (w_s = its normalised weight), so
 * after every whole block each source has had its exact share, to within one document; inside a
 * block the order is a seeded shuffle, so the sources are interleaved rather than taking turns.
 * Being a pure function of (weights, seed, i), a resumed run needs only the number of documents
 * drawn so far.
 */
export class MixSchedule {
  readonly #weights: number[];
  readonly #blockSize: number;
  readonly #rng: Rng;
  #block = -1;
  #blockStart = 0;
  #labels: Int32Array = new Int32Array(0);

  constructor(weights: readonly number[], seed: number, blockSize = DEFAULT_BLOCK) {
    if (weights.length === 0 || weights.some((w) => !(w > 0 && Number.isFinite(w)))) {
      throw new RRError('DATA_INVALID', `data mix: weights ${JSON.stringify(weights)} must be positive numbers.`);
    }
    const total = weights.reduce((s, w) => s + w, 0);
    this.#weights = weights.map((w) => w / total);
    // at least two documents per source per block keeps every block non-empty
    this.#blockSize = Math.max(blockSize, 2 * weights.length);
    this.#rng = Rng.fromSeed(seed);
  }

  /** Index of the source of draw `i` (0-based). */
  sourceOf(i: number): number {
    if (this.#weights.length === 1) return 0;
    let k = Math.floor(i / this.#blockSize);
    while (k > 0 && this.#drawsBefore(k) > i) k--;
    while (this.#drawsBefore(k + 1) <= i) k++;
    if (k !== this.#block) this.#fill(k);
    return this.#labels[i - this.#blockStart]!;
  }

  /** Documents in blocks 0..k-1. */
  #drawsBefore(k: number): number {
    let n = 0;
    for (const w of this.#weights) n += Math.floor(k * this.#blockSize * w);
    return n;
  }

  #fill(k: number): void {
    const labels: number[] = [];
    this.#weights.forEach((w, s) => {
      const count = Math.floor((k + 1) * this.#blockSize * w) - Math.floor(k * this.#blockSize * w);
      for (let j = 0; j < count; j++) labels.push(s);
    });
    this.#labels = this.#rng.stream('mix', k).shuffle(Int32Array.from(labels));
    this.#block = k;
    this.#blockStart = this.#drawsBefore(k);
  }
}

const DEFAULT_BLOCK = 64;
