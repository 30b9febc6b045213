import { type Backend, type DType, type MatmulOptions, type Tensor, createCpuBackend, isRRError } from '@rr/tensor';
import { afterAll } from 'vitest';
import type { WebGPUBackend } from './backend.js';
import { type WebGPUBackendOptions, createWebGPUBackend } from './create.js';

/**
 * Test helpers. `gpu()` creates a WebGPU backend that is destroyed after the file's tests; without
 * an adapter it returns undefined so that suites skip with a visible reason, except on CI
 * (CI=true), where a missing adapter fails: CI is where the backend is promised to run.
 */
export const NO_ADAPTER = 'no WebGPU adapter on this machine (install Mesa lavapipe: see ENVIRONMENT.md)';

export async function gpu(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend | undefined> {
  try {
    const backend = await createWebGPUBackend(options);
    afterAll(() => backend.destroy());
    return backend;
  } catch (e) {
    if (isRRError(e, 'WEBGPU_NO_ADAPTER') && process.env.CI !== 'true') return undefined;
    throw e;
  }
}

/** The f64 CPU backend: the reference every result here is compared with. */
export const reference: Backend = createCpuBackend({ threads: 1, wasm: false });

/** ||a - b|| / ||b||. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** Deterministic values in [-1, 1) (a small LCG, so that a failure replays). */
export function randomValues(n: number, seed = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Uploads to the backend, and the same values as it stored them (f16 rounding included) to the f64 reference. */
export async function twin(be: Backend, values: ArrayLike<number>, shape: readonly number[], dtype: DType): Promise<[Tensor, Tensor]> {
  const t = be.upload(values, shape, dtype);
  const stored = await t.read();
  return [t, reference.upload(Float64Array.from(stored), shape, 'f64')];
}

export interface MatmulCase {
  batch?: number[];
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
  /** b has the batch dimensions too (default: shared 2-D b). */
  bBatched?: boolean;
  /** a is 2-D even with a batch (a transposed a with a shared b must be). */
  aShared?: boolean;
}

/** Relative error of `be.matmul` against the f64 reference for one configuration. */
export async function matmulError(be: Backend, c: MatmulCase, dtype: DType, seed = 1): Promise<number> {
  const batch = c.batch ?? [];
  const opts: MatmulOptions = { transA: c.transA ?? false, transB: c.transB ?? false };
  const aShape = [...(c.aShared ? [] : batch), ...(opts.transA ? [c.k, c.m] : [c.m, c.k])];
  const bShape = [...(c.bBatched ? batch : []), ...(opts.transB ? [c.n, c.k] : [c.k, c.n])];
  const size = (s: number[]): number => s.reduce((x, y) => x * y, 1);
  const [a, aRef] = await twin(be, randomValues(size(aShape), seed), aShape, dtype);
  const [b, bRef] = await twin(be, randomValues(size(bShape), seed + 1), bShape, dtype);
  const out = be.matmul(a, b, opts);
  const want = reference.matmul(aRef, bRef, opts);
  const got = await out.read();
  const err = out.shape.join() === want.shape.join() ? relativeError(got, await want.read()) : Infinity;
  for (const t of [a, b, out, aRef, bRef, want]) t.dispose();
  return err;
}
