import { type Backend, type HostArray, createCpuBackend, isRRError } from '@rr/tensor';
import { afterAll } from 'vitest';
import { type WebGPUBackendOptions, createWebGPUBackend } from './create.js';
import type { WebGPUBackend } from './backend.js';

/**
 * Test helpers. `gpu()` creates a WebGPU backend destroyed after the file's tests; without an
 * adapter it returns undefined so that suites skip with a visible reason, except on CI
 * (CI=true), where a missing adapter is a failure: CI is where the backend is promised to run.
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

export const cpu = (): Backend => createCpuBackend({ threads: 1 });

/** ||a - b|| / ||b|| in f64. */
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

/** Deterministic values in [-1, 1) (a tiny LCG: tests must not depend on Math.random). */
export function randomValues(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export type { HostArray };
