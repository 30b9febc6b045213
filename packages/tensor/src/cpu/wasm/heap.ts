/**
 * f32 storage inside the matmul's shared WebAssembly memory, so that the SIMD kernels use
 * weights, activations and gradients in place instead of copying every operand in and every
 * result out on each call (and so that a training step's many large temporaries are reused
 * rather than left to the garbage collector).
 *
 * Blocks come in size classes (64-byte steps up to 256 bytes, then four per power of two:
 * at most 25% slack) with one free list per class: a training step allocates the same shapes
 * every step, so after the first step every allocation is a free-list pop. WebAssembly memory
 * never shrinks, so freed blocks stay in their class for the next tensor of that size. When the
 * memory cannot grow any more (4 GiB, or the address space is refused), `alloc` returns
 * undefined and the caller falls back to an ordinary Float32Array.
 */
import { wasmModule } from './module.js';
import { api, type WasmMemory } from './wasm-api.js';

const PAGE = 65536;
const MAX_PAGES = 65536;

/** Which heap a view's buffer belongs to (each growth of a shared memory hands out a new buffer object). */
const heaps = new WeakMap<ArrayBufferLike, WasmHeap>();

/** The heap `view` was allocated from, or undefined for an ordinary array. */
export function heapOf(view: ArrayBufferView): WasmHeap | undefined {
  return heaps.get(view.buffer);
}

/** Bytes of the block that holds `bytes`: the size class. */
export function blockBytes(bytes: number): number {
  if (bytes <= 256) return Math.max(64, Math.ceil(bytes / 64) * 64);
  const step = 2 ** (Math.floor(Math.log2(bytes - 1)) - 2);
  return Math.ceil(bytes / step) * step;
}

function createMemory(pages: number): WasmMemory {
  // A 4 GiB maximum reserves address space only; a smaller one is tried where that is refused.
  let lastError: unknown;
  for (const maximum of [MAX_PAGES, 16384, 4096]) {
    if (maximum < pages) break;
    try {
      return new (api().Memory)({ initial: pages, maximum, shared: true });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError ?? new RangeError('wasm heap: cannot allocate shared memory');
}

interface HeapKernels {
  exp_shift(ptr: number, n: number, scale: number, shift: number): number;
  swiglu(gate: number, up: number, out: number, n: number): void;
  swiglu_backward(gate: number, up: number, dy: number, dGate: number, dUp: number, n: number): void;
}

export class WasmHeap {
  readonly memory: WasmMemory;
  /** Bytes below this are the caller's (the matmul's job descriptor and per-thread workspaces). */
  readonly reserved: number;
  #top: number;
  #free = new Map<number, number[]>();
  #f32: Float32Array;
  #kernels: HeapKernels | undefined;

  constructor(reserved: number) {
    this.reserved = Math.ceil(reserved / 64) * 64;
    this.memory = createMemory(Math.ceil(this.reserved / PAGE) + 1);
    this.#top = this.reserved;
    this.#f32 = this.#view();
  }

  #view(): Float32Array {
    heaps.set(this.memory.buffer, this);
    return new Float32Array(this.memory.buffer);
  }

  /** The whole memory as floats (refreshed after growth). */
  get f32(): Float32Array {
    if (this.#f32.buffer.byteLength !== this.memory.buffer.byteLength) this.#f32 = this.#view();
    return this.#f32;
  }

  /** `floats` zeros in the heap, or undefined when the memory cannot hold them. */
  alloc(floats: number): Float32Array | undefined {
    const bytes = blockBytes(Math.max(1, floats) * 4);
    const reused = this.#free.get(bytes)?.pop();
    if (reused !== undefined) {
      const view = new Float32Array(this.f32.buffer, reused, floats);
      view.fill(0);
      return view;
    }
    const end = this.#top + bytes;
    if (end > this.memory.buffer.byteLength) {
      if (end > MAX_PAGES * PAGE) return undefined;
      try {
        this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / PAGE));
      } catch {
        return undefined;
      }
    }
    // fresh WebAssembly memory is zeroed
    const view = new Float32Array(this.f32.buffer, this.#top, floats);
    this.#top = end;
    return view;
  }

  /** Returns a view from `alloc` to its size class. */
  free(view: Float32Array): void {
    const bytes = blockBytes(Math.max(1, view.length) * 4);
    let list = this.#free.get(bytes);
    if (!list) this.#free.set(bytes, (list = []));
    list.push(view.byteOffset);
  }

  /** The elementwise kernels of matmul.wat, instantiated on this memory on first use. */
  get #k(): HeapKernels {
    this.#kernels ??= new (api().Instance)(wasmModule(), { env: { memory: this.memory } }).exports as unknown as HeapKernels;
    return this.#kernels;
  }

  /** Whether every array lives in this heap (so the SIMD kernels below can run on them). */
  holds(...xs: ArrayBufferView[]): boolean {
    return xs.every((x) => heaps.get(x.buffer) === this);
  }

  #at(x: Float32Array): number {
    if (heaps.get(x.buffer) !== this) throw new RangeError('wasm heap: a kernel argument is not a view into this heap');
    return x.byteOffset;
  }

  /**
   * x[i] = e^(x[i] * scale - shift) for i in [start, end), in SIMD; returns the sum of the
   * results. Softmax rows: shift is the row's max, or its log-sum-exp in the backward. (A range
   * rather than a subarray: attention calls this once per row, and the views would churn the GC.)
   */
  expShift(x: Float32Array, start: number, end: number, scale: number, shift: number): number {
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= x.length)) {
      throw new RangeError(`wasm heap: expShift range [${start}, ${end}) is not within ${x.length} elements`);
    }
    return this.#k.exp_shift(this.#at(x) + 4 * start, end - start, scale, shift);
  }

  /** out = silu(gate) * up, elementwise over gate's length. */
  swiglu(gate: Float32Array, up: Float32Array, out: Float32Array): void {
    this.#k.swiglu(this.#at(gate), this.#at(up), this.#at(out), gate.length);
  }

  /** The SwiGLU gradients for upstream dy, into dGate and dUp. */
  swigluBackward(gate: Float32Array, up: Float32Array, dy: Float32Array, dGate: Float32Array, dUp: Float32Array): void {
    this.#k.swiglu_backward(this.#at(gate), this.#at(up), this.#at(dy), this.#at(dGate), this.#at(dUp), gate.length);
  }

  /** Byte address of `view` in this heap's memory, or undefined when it lives elsewhere. */
  address(view: Float32Array): number | undefined {
    return heaps.get(view.buffer) === this ? view.byteOffset : undefined;
  }
}
