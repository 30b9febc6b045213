import { type Backend, RRError, type Tensor, keep } from '@rr/tensor';

/**
 * Keys and values for incremental decoding. Every unrolled layer has its own slot (docs/method.md's KV
 * note): prelude 0..P-1, then the block's layers step-major, then the coda; so memory grows with
 * the recurrence r. Slots are allocated on first use at full capacity and written in place.
 */
export class KVCache {
  readonly #slots = new Map<number, { k: Tensor; v: Tensor }>();
  /** Positions already written (the next token's position). */
  length = 0;

  constructor(
    readonly backend: Backend,
    readonly batch: number,
    readonly capacity: number,
    readonly kvWidth: number,
    readonly dtype: 'f32' | 'f16' | 'f64' = 'f32',
  ) {}

  /** The slot of an unrolled layer, allocated on first use (outside any scope: the cache owns it). */
  slot(index: number): { k: Tensor; v: Tensor } {
    let s = this.#slots.get(index);
    if (!s) {
      const shape = [this.batch, this.capacity, this.kvWidth];
      s = { k: keep(this.backend.zeros(shape, this.dtype)), v: keep(this.backend.zeros(shape, this.dtype)) };
      this.#slots.set(index, s);
    }
    return s;
  }

  /** Checks that `tokens` more positions fit. */
  reserve(tokens: number): void {
    if (this.length + tokens > this.capacity) {
      throw new RRError(
        'KV_CACHE_FULL',
        `KV cache holds ${this.capacity} positions; ${this.length} used, ${tokens} more requested. Create it with a larger capacity (max new tokens + prompt length).`,
      );
    }
  }

  get slots(): number {
    return this.#slots.size;
  }

  dispose(): void {
    for (const { k, v } of this.#slots.values()) {
      k.dispose();
      v.dispose();
    }
    this.#slots.clear();
    this.length = 0;
  }
}
