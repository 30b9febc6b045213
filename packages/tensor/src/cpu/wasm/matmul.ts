/**
 * Synchronous f32 matmul on WebAssembly SIMD128, shared across worker threads.
 *
 * The kernel (matmul.wat) works on one shared wasm memory, a `WasmHeap` whose blocks
 * hold the CPU backend's f32 tensors: operands allocated there are used in place; any
 * other array is copied into a scratch block for the call (and a result copied out).
 * A call writes a job descriptor, wakes the helper workers through Atomics, computes
 * on the calling thread too and blocks in Atomics.wait until the helpers are done. Work is handed out in chunks
 * (rectangles of C) from an atomic counter inside the wasm module, so the threads
 * balance themselves and a worker that is still starting up is simply not used.
 */
import { type MatmulShape, mirrorUpper } from '../kernels/matmul.js';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WasmHeap } from './heap.js';
import { wasmBytes, wasmModule } from './module.js';
import { api, wasmApi } from './wasm-api.js';
import { workerLoop, type WorkerInit } from './worker-loop.js';

export interface MatmulArgs extends MatmulShape {
  /** [batch, m, k], or [batch, k, m] when transA. */
  a: Float32Array;
  /** [batch, k, n] (or [k, n] when !bBatched); [.., n, k] when transB. */
  b: Float32Array;
  /** [batch, m, n]. */
  out: Float32Array;
}

export interface WasmMatmul {
  run(args: MatmulArgs): void;
  /** Threads used for large problems: the calling thread plus `threads - 1` workers. */
  readonly threads: number;
  /** Terminates the workers. The instance must not be used afterwards. */
  destroy(): void;
  /** The memory the kernels run on: f32 arrays allocated here are used without copies. */
  readonly heap: WasmHeap;
  /**
   * Runs another kernel of matmul.wat's `run` on the same threads: `write` fills the job
   * descriptor (its kind field and the kernel's own fields; the chunk counter is reset
   * here), then every thread claims chunks until none are left. `macs`, the job's
   * multiply-adds, decides as for a matmul whether waking the workers is worth it.
   */
  runJob(write: (job: DataView) => void, macs: number): void;
  /** Floats of scratch each thread's workspace holds (a kernel's per-thread row buffer). */
  readonly workspaceFloats: number;
}

/** What createWasmMatmul returns: a WasmMatmul that can also report worker start-up. */
export interface WasmMatmulPool extends WasmMatmul {
  /**
   * Resolves once every worker has started (or failed to), with the number of
   * threads `run` can use from then on. Optional: `run` works before that and just
   * leaves not-yet-started workers out.
   */
  ready(): Promise<number>;
}

// ----- layout shared with matmul.wat ----------------------------------------------

/** Byte address of the job descriptor (fields documented at `run` in matmul.wat). */
const JOB = 0;
const F = {
  next: 0,
  chunks: 64,
  rowChunks: 68,
  colChunks: 72,
  rowsPerChunk: 76,
  colsPerChunk: 80,
  m: 84,
  n: 88,
  k: 92,
  a: 96,
  aRow: 100,
  aK: 104,
  aBatch: 108,
  b: 112,
  bK: 116,
  bCol: 120,
  bBatch: 124,
  c: 128,
  cRow: 132,
  cBatch: 136,
  accumulate: 140,
  symmetric: 144,
  kind: 148,
} as const;
/** Byte offsets of the job descriptor's shared fields, for other kernels run through `runJob`. */
export const JOB_FIELDS = { chunks: F.chunks, kind: F.kind } as const;
/** First workspace; workspaces are `workspace_bytes` apart (rounded to 64). */
const WS_BASE = 4096;

// ----- control words (Int32 indices in a separate SharedArrayBuffer) ---------------

const CTL_DONE = 0;
const CTL_ERROR = 1;
/** Each worker gets its own 64-byte line: wake counter, then state. */
const CTL_WORKER = 16;
const CTL_STRIDE = 16;

// ----- tuning ------------------------------------------------------------------------

/** Below this many multiply-adds (batch*m*n*k) the calling thread works alone: waking
 *  a worker costs tens of microseconds, about what ~1M flops take on one core. */
const PARALLEL_MIN_MACS = 1 << 19;
/** Chunks per participating thread; more balance better, fewer repack less. */
const CHUNKS_PER_THREAD = 4;
/** Smallest chunk extents worth splitting down to (columns: multiple of 16). */
const MIN_CHUNK_COLS = 64;
const MIN_CHUNK_ROWS = 32;
/** A symmetric product is cut into row chunks about this fraction of m high (at least
 *  MIN_CHUNK_ROWS): the part computed below the diagonal is half a chunk's height, while
 *  every row chunk packs its own columns of B. */
const SYMMETRIC_ROW_CHUNKS = 8;
/** Worker polls of its wake word before sleeping (~10 ns each): back-to-back matmuls
 *  then skip the futex round trip, while an idle worker stops burning CPU quickly. */
const WORKER_SPIN = 3000;
/** Polls of the done counter by the calling thread before it sleeps. */
const MAIN_SPIN = 3000;

// ----- module ----------------------------------------------------------------------

let available: boolean | undefined;

/** Whether WebAssembly SIMD128, wasm threads and SharedArrayBuffer are usable here. */
export function wasmMatmulAvailable(): boolean {
  if (available === undefined) {
    let ok = false;
    try {
      const wasm = wasmApi();
      // validate() checks SIMD128 and shared-memory (threads) support in one go.
      ok = wasm !== undefined && typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object' && wasm.validate(wasmBytes());
    } catch {
      ok = false;
    }
    available = ok;
  }
  return available;
}

let workspaceBytes: number | undefined;

/** Bytes at the bottom of the memory a matmul on `threads` threads needs for itself (a heap's `reserved`). */
export function matmulReservedBytes(threads: number): number {
  if (workspaceBytes === undefined) {
    const wasm = api();
    const probe = new wasm.Instance(wasmModule(), { env: { memory: new wasm.Memory({ initial: 1, maximum: 1, shared: true }) } });
    workspaceBytes = align64((probe.exports.workspace_bytes as () => number)());
  }
  return WS_BASE + threads * workspaceBytes;
}

// ----- workers ---------------------------------------------------------------------

/**
 * Starts a worker. The built package ships `dist/cpu/matmul-worker.js` next to
 * `dist/index.js`, so a file worker is used when that file exists relative to this
 * module. Otherwise (running the TypeScript sources, e.g. under vitest, where Node
 * 20 cannot load a .ts worker, or after re-bundling) the worker runs the same
 * `workerLoop` function from source via `eval: true`.
 */
function spawnWorker(init: WorkerInit): Worker {
  for (const rel of ['./cpu/matmul-worker.js', './matmul-worker.js']) {
    let url: URL;
    try {
      url = new URL(rel, import.meta.url);
    } catch {
      break;
    }
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) {
      return new Worker(url, { workerData: init });
    }
  }
  const source = `const { workerData } = require('node:worker_threads');\n(${workerLoop.toString()})(workerData);\n`;
  return new Worker(source, { eval: true, workerData: init });
}

// ----- planning ----------------------------------------------------------------------

interface Plan {
  rowsPerChunk: number;
  colsPerChunk: number;
  rowChunks: number;
  colChunks: number;
}

/**
 * Splits each batch entry's m x n output into rectangles, enough of them for
 * dynamic balancing across `threads`. Columns are split first: each column chunk
 * packs only its own slice of B, while row chunks would each repack the same B.
 */
function planChunks(batch: number, m: number, n: number, threads: number, symmetric: boolean): Plan {
  let rows = symmetric ? Math.min(m, Math.max(MIN_CHUNK_ROWS, Math.ceil(m / SYMMETRIC_ROW_CHUNKS / 2) * 2)) : m;
  let cols = n;
  if (threads > 1) {
    const want = Math.ceil((threads * CHUNKS_PER_THREAD) / batch);
    const count = () => Math.ceil(m / rows) * Math.ceil(n / cols);
    while (count() < want) {
      if (cols >= 2 * MIN_CHUNK_COLS) cols = Math.ceil(cols / 32) * 16;
      else if (rows >= 2 * MIN_CHUNK_ROWS) rows = Math.ceil(rows / 4) * 2;
      else break;
    }
  }
  return { rowsPerChunk: rows, colsPerChunk: cols, rowChunks: Math.ceil(m / rows), colChunks: Math.ceil(n / cols) };
}

function checkDim(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`wasm matmul: ${name} must be a non-negative integer, got ${v}`);
}

function align64(x: number): number {
  return Math.ceil(x / 64) * 64;
}

// ----- driver -------------------------------------------------------------------------

interface WorkerSlot {
  worker: Worker;
  wake: number;
  state: number;
}

export function createWasmMatmul(options: { threads?: number; heap?: WasmHeap } = {}): WasmMatmulPool {
  if (!wasmMatmulAvailable()) throw new Error('wasm matmul: WebAssembly SIMD/threads or SharedArrayBuffer unavailable');
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`wasm matmul: threads must be a positive integer, got ${options.threads}`);
  }
  const module = wasmModule();
  const heap = options.heap ?? new WasmHeap(matmulReservedBytes(threads));
  if (heap.reserved < matmulReservedBytes(threads))
    throw new RangeError(`wasm matmul: the heap reserves ${heap.reserved} bytes, ${threads} threads need ${matmulReservedBytes(threads)}`);
  const wsBytes = workspaceBytes!;
  const memory = heap.memory;
  const exports = new (api().Instance)(module, { env: { memory } }).exports;
  const runChunks = exports.run as (job: number, ws: number) => number;
  // one view of the job descriptor: the matmul's fields here, other kernels' through runJob
  const job = new DataView(memory.buffer, JOB, 256);

  const control = new SharedArrayBuffer((CTL_WORKER + CTL_STRIDE * threads) * 4);
  const ctl = new Int32Array(control);
  const slots: WorkerSlot[] = [];
  let destroyed = false;

  for (let w = 0; w < threads - 1; w++) {
    const wake = CTL_WORKER + CTL_STRIDE * w;
    const state = wake + 1;
    const init: WorkerInit = {
      kind: 'rr-wasm-matmul',
      module,
      memory,
      control,
      wakeIndex: wake,
      stateIndex: state,
      doneIndex: CTL_DONE,
      errorIndex: CTL_ERROR,
      job: JOB,
      workspace: WS_BASE + (w + 1) * wsBytes,
      spin: WORKER_SPIN,
    };
    try {
      const worker = spawnWorker(init);
      worker.unref();
      // Asynchronous, so only seen between runs; a worker that never became ready
      // was never handed work, and one that dies later is never handed work again.
      worker.on('error', () => Atomics.store(ctl, state, -1));
      worker.on('exit', () => Atomics.store(ctl, state, -1));
      slots.push({ worker, wake, state });
    } catch {
      // No workers in this environment: run on the calling thread only.
      break;
    }
  }

  function set(field: number, value: number): void {
    job.setInt32(field, value, true); // addresses >= 2^31 wrap; wasm reads them unsigned
  }

  /** The byte address of `x` in the memory: in place, or a scratch copy (its first `len` floats). */
  function place(x: Float32Array, len: number, copyIn: boolean, scratch: Float32Array[]): number {
    const at = heap.address(x);
    if (at !== undefined) return at;
    const block = heap.alloc(len);
    if (!block) throw new RangeError('wasm matmul: operands exceed the 4 GiB wasm memory');
    scratch.push(block);
    if (copyIn) block.set(x.length === len ? x : x.subarray(0, len));
    return block.byteOffset;
  }

  function run(args: MatmulArgs): void {
    if (destroyed) throw new Error('wasm matmul: used after destroy()');
    const { a, b, out, batch, m, n, k, transA, transB, bBatched } = args;
    const accumulate = args.accumulate === true;
    checkDim('batch', batch);
    checkDim('m', m);
    checkDim('n', n);
    checkDim('k', k);
    const aStride = args.aStride ?? m * k;
    const bStride = args.bStride ?? k * n;
    const cStride = args.cStride ?? m * n;
    for (const [name, stride, min] of [
      ['aStride', aStride, m * k],
      ['bStride', bStride, k * n],
      ['cStride', cStride, m * n],
    ] as const) {
      if (!Number.isInteger(stride) || stride < min) throw new RangeError(`wasm matmul: ${name} = ${stride} must be an integer >= ${min}`);
    }
    const packed = aStride === m * k && bStride === k * n && cStride === m * n;
    const aLen = batch === 0 ? 0 : (batch - 1) * aStride + m * k;
    const bLen = bBatched ? (batch === 0 ? 0 : (batch - 1) * bStride + k * n) : k * n;
    const cLen = batch === 0 ? 0 : (batch - 1) * cStride + m * n;
    if (a.length < aLen) throw new RangeError(`wasm matmul: a has ${a.length} elements, needs ${aLen}`);
    if (b.length < bLen) throw new RangeError(`wasm matmul: b has ${b.length} elements, needs ${bLen}`);
    if (out.length < cLen) throw new RangeError(`wasm matmul: out has ${out.length} elements, needs ${cLen}`);
    if (batch * m * n === 0) return;
    if (k === 0) {
      if (!accumulate) for (let z = 0; z < batch; z++) out.fill(0, z * cStride, z * cStride + m * n);
      return;
    }

    // A shared B with row-major A is one tall matrix: [batch*m, k] @ [k, n].
    const fold = packed && !bBatched && !transA && batch > 1;
    const eBatch = fold ? 1 : batch;
    const eM = fold ? batch * m : m;
    // folded rows are no longer one square matrix per entry
    const symmetric = args.symmetric === true && m === n && !accumulate && !fold;

    const scratch: Float32Array[] = [];
    try {
      // a strided out is copied in too: the gaps between its entries must come back unchanged
      runPlaced(args, place(a, aLen, true, scratch), place(b, bLen, true, scratch), place(out, cLen, accumulate || !packed, scratch), eBatch, eM, symmetric, [
        aStride,
        bStride,
        cStride,
      ]);
      const cScratch = heap.address(out) === undefined ? scratch[scratch.length - 1]! : undefined;
      if (cScratch) out.set(cScratch.subarray(0, cLen));
      if (symmetric) mirrorUpper(out, { ...args, cStride });
    } finally {
      for (const block of scratch) heap.free(block);
    }
  }

  function runPlaced(
    args: MatmulArgs,
    aOff: number,
    bOff: number,
    cOff: number,
    eBatch: number,
    eM: number,
    symmetric: boolean,
    [aStride, bStride, cStride]: readonly number[],
  ): void {
    const { batch, m, n, k, transA, transB, bBatched } = args;
    const accumulate = args.accumulate === true;

    const ready = readyWorkers(batch * m * n * k);
    const plan = planChunks(eBatch, eM, n, ready.length + 1, symmetric);

    set(F.kind, 0);
    set(F.chunks, eBatch * plan.rowChunks * plan.colChunks);
    set(F.rowChunks, plan.rowChunks);
    set(F.colChunks, plan.colChunks);
    set(F.rowsPerChunk, plan.rowsPerChunk);
    set(F.colsPerChunk, plan.colsPerChunk);
    set(F.m, eM);
    set(F.n, n);
    set(F.k, k);
    set(F.a, aOff);
    set(F.aRow, transA ? 4 : k * 4);
    set(F.aK, transA ? m * 4 : 4);
    set(F.aBatch, aStride! * 4);
    set(F.b, bOff);
    set(F.bK, transB ? 4 : n * 4);
    set(F.bCol, transB ? k * 4 : 4);
    set(F.bBatch, bBatched ? bStride! * 4 : 0);
    set(F.c, cOff);
    set(F.cRow, n * 4);
    set(F.cBatch, cStride! * 4);
    set(F.accumulate, accumulate ? 1 : 0);
    set(F.symmetric, symmetric ? 1 : 0);
    dispatch(ready);
  }

  /** The started workers, when a job of `macs` multiply-adds is worth waking them for. */
  function readyWorkers(macs: number): WorkerSlot[] {
    return macs >= PARALLEL_MIN_MACS ? slots.filter((s) => Atomics.load(ctl, s.state) === 1) : [];
  }

  /** Wakes `ready`, runs chunks of the job on this thread too, and waits for the helpers. */
  function dispatch(ready: readonly WorkerSlot[]): void {
    set(F.next, 0);
    Atomics.store(ctl, CTL_DONE, 0);
    Atomics.store(ctl, CTL_ERROR, 0);
    for (const s of ready) {
      // Kept in [0, 2^30) so it can never reach the exit value -1.
      Atomics.store(ctl, s.wake, (Atomics.load(ctl, s.wake) + 1) & 0x3fffffff);
      Atomics.notify(ctl, s.wake);
    }
    try {
      runChunks(JOB, WS_BASE);
    } finally {
      // Even if this thread failed, the helpers must be finished with the memory
      // before the next job rewrites it.
      let d = Atomics.load(ctl, CTL_DONE);
      for (let i = 0; d < ready.length && i < MAIN_SPIN; i++) d = Atomics.load(ctl, CTL_DONE);
      while (d < ready.length) {
        Atomics.wait(ctl, CTL_DONE, d);
        d = Atomics.load(ctl, CTL_DONE);
      }
    }
    if (Atomics.load(ctl, CTL_ERROR) !== 0) throw new Error('wasm matmul: a worker thread failed');
  }

  function runJob(write: (job: DataView) => void, macs: number): void {
    if (destroyed) throw new Error('wasm matmul: used after destroy()');
    write(job);
    dispatch(readyWorkers(macs));
  }

  function destroy(): void {
    if (destroyed) return;
    destroyed = true;
    for (const s of slots) {
      Atomics.store(ctl, s.wake, -1);
      Atomics.notify(ctl, s.wake);
      void s.worker.terminate();
    }
  }

  async function ready(): Promise<number> {
    for (;;) {
      const states = slots.map((s) => Atomics.load(ctl, s.state));
      if (states.every((st) => st !== 0)) return 1 + states.filter((st) => st === 1).length;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  return { run, runJob, workspaceFloats: Math.floor(wsBytes / 4), threads: slots.length + 1, destroy, ready, heap };
}
