/**
 * Worker entry for the WebAssembly matmul (built to dist/cpu/matmul-worker.js).
 * All logic lives in worker-loop.ts so the same code can also be started as an
 * `eval` worker when this file is not available (running from TS sources).
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { workerLoop, type WorkerInit } from './worker-loop.js';

const init = workerData as WorkerInit | null | undefined;
if (!isMainThread && init && init.kind === 'rr-wasm-matmul') workerLoop(init);
