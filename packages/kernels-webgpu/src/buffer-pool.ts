/**
 * Size-bucketed free lists of GPU buffers, so that a training step, which allocates the same
 * shapes every time, creates no new buffer after the first step.
 *
 * Sizes round up to one of eight buckets per power of two (at most 12.5% slack); a released buffer
 * waits in its bucket's list. The pool knows nothing about command ordering: callers that must not
 * get a buffer still referenced by unsubmitted commands pass an `eligible` test (see backend.ts).
 */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** Bucket size in bytes (>= the bytes asked for). */
  readonly size: number;
  /** The command-stream generation that last referenced this buffer (see CommandStream.generation). */
  lastUse: number;
}

export interface PoolStats {
  /** GPU buffers created since the backend started. */
  allocations: number;
  /** Requests served from a free list. */
  reuses: number;
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  /** Bytes of the buffers handed out (bucket sizes). */
  liveBytes: number;
  /** Bytes waiting in free lists. */
  pooledBytes: number;
}

const MIN_BUCKET = 256;
const STEPS_PER_OCTAVE = 8;

/** The bucket a request of `bytes` falls in; never above `max` (a request at the limit gets its own size). */
export function bucketSize(bytes: number, max = Number.MAX_SAFE_INTEGER): number {
  if (bytes <= MIN_BUCKET) return MIN_BUCKET;
  const octave = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = Math.max(octave / STEPS_PER_OCTAVE, 4);
  const size = Math.ceil(bytes / step) * step;
  return size <= max ? size : Math.ceil(bytes / 4) * 4;
}

export class BufferPool {
  readonly #free = new Map<number, PooledBuffer[]>();
  readonly #all = new Set<PooledBuffer>();
  #stats: PoolStats = { allocations: 0, reuses: 0, liveBuffers: 0, liveBytes: 0, pooledBytes: 0 };

  constructor(private readonly create: (size: number) => GPUBuffer) {}

  /** A free buffer of this bucket that passes `eligible`, or undefined. */
  take(size: number, eligible: (b: PooledBuffer) => boolean = () => true): PooledBuffer | undefined {
    const list = this.#free.get(size);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const b = list[i]!;
      if (!eligible(b)) continue;
      list.splice(i, 1);
      this.#stats.reuses++;
      this.#stats.pooledBytes -= size;
      this.#lend(b);
      return b;
    }
    return undefined;
  }

  /** Whether the bucket holds any free buffer (eligible or not). */
  hasFree(size: number): boolean {
    return (this.#free.get(size)?.length ?? 0) > 0;
  }

  allocate(size: number): PooledBuffer {
    const b: PooledBuffer = { buffer: this.create(size), size, lastUse: -1 };
    this.#all.add(b);
    this.#stats.allocations++;
    this.#lend(b);
    return b;
  }

  release(b: PooledBuffer): void {
    this.#stats.liveBuffers--;
    this.#stats.liveBytes -= b.size;
    this.#stats.pooledBytes += b.size;
    let list = this.#free.get(b.size);
    if (!list) this.#free.set(b.size, (list = []));
    list.push(b);
  }

  stats(): PoolStats {
    return { ...this.#stats };
  }

  /**
   * Destroys the free buffers. Only safe when no unsubmitted command references them (the caller
   * flushes first); buffers used by submitted work are freed by WebGPU once that work completes.
   */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const b of list) {
        b.buffer.destroy();
        this.#all.delete(b);
      }
    }
    this.#free.clear();
    this.#stats.pooledBytes = 0;
  }

  /** Destroys every buffer, free or lent (the backend is going away). */
  destroyAll(): void {
    for (const b of this.#all) b.buffer.destroy();
    this.#all.clear();
    this.#free.clear();
    this.#stats = { ...this.#stats, liveBuffers: 0, liveBytes: 0, pooledBytes: 0 };
  }

  #lend(b: PooledBuffer): void {
    this.#stats.liveBuffers++;
    this.#stats.liveBytes += b.size;
  }
}
