/**
 * The whole life of a matmul worker thread, as one self-contained function.
 *
 * It is started in one of two ways (see `spawnWorker` in matmul.ts):
 *  - from the built package, as the entry `dist/cpu/matmul-worker.js`
 *    (src/cpu/wasm/matmul-worker.ts), which imports and calls it;
 *  - from TypeScript sources (vitest) or any bundle lacking that file, as an
 *    `eval: true` worker whose source is `(${workerLoop.toString()})(workerData)`.
 *
 * For the second path to work the function must stay self-contained: no imports,
 * no references to module-level names, no nested named functions or classes (some
 * transpilers wrap those in helper calls). Everything it needs comes in `init`.
 */
import type { WasmApi, WasmMemory, WasmModule } from './wasm-api.js';

/** Data handed to a worker at spawn time (structured-cloned as `workerData`). */
export interface WorkerInit {
  /** Marks workerData as ours, so the entry file ignores foreign worker data. */
  kind: 'rr-wasm-matmul';
  module: WasmModule;
  memory: WasmMemory;
  /** Control words shared with the driver (an Int32Array's buffer). */
  control: SharedArrayBuffer;
  /** Int32 index of this worker's wake counter; -1 stored there means "exit". */
  wakeIndex: number;
  /** Int32 index of this worker's state: 0 starting, 1 ready, -1 failed/gone. */
  stateIndex: number;
  /** Int32 index of the shared "workers finished" counter. */
  doneIndex: number;
  /** Int32 index of the shared error flag. */
  errorIndex: number;
  /** Byte address of the job descriptor in wasm memory. */
  job: number;
  /** Byte address of this worker's private workspace in wasm memory. */
  workspace: number;
  /** Polls of the wake word before sleeping in Atomics.wait (cuts wake latency). */
  spin: number;
}

export function workerLoop(init: WorkerInit): void {
  const ctl = new Int32Array(init.control);
  let run: (job: number, ws: number) => number;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(init.module, { env: { memory: init.memory } });
    run = instance.exports.run as (job: number, ws: number) => number;
  } catch (err) {
    // Never report ready: the driver simply runs without this worker.
    Atomics.store(ctl, init.stateIndex, -1);
    throw err;
  }
  let seen = Atomics.load(ctl, init.wakeIndex);
  Atomics.store(ctl, init.stateIndex, 1);
  for (;;) {
    // A short poll first: back-to-back matmuls then skip the futex round trip.
    let now = Atomics.load(ctl, init.wakeIndex);
    for (let i = 0; now === seen && i < init.spin; i++) now = Atomics.load(ctl, init.wakeIndex);
    if (now === seen) {
      Atomics.wait(ctl, init.wakeIndex, seen);
      now = Atomics.load(ctl, init.wakeIndex);
      if (now === seen) continue;
    }
    if (now === -1) return;
    seen = now;
    try {
      run(init.job, init.workspace);
    } catch {
      // The chunk this thread held is incomplete; the driver turns the flag into
      // an exception on the calling thread.
      Atomics.store(ctl, init.errorIndex, 1);
    }
    Atomics.add(ctl, init.doneIndex, 1);
    Atomics.notify(ctl, init.doneIndex);
  }
}
