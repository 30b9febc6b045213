import { type Backend, createCpuBackend, isRRError } from '@rr/tensor';
import { createWebGPUBackend } from '@rr/kernels-webgpu';
import { afterAll } from 'vitest';

/**
 * The backends every test here runs on: the CPU backend and, where an adapter exists, WebGPU
 * (lavapipe on CI). Without an adapter WebGPU is reported as a visible skip, except on CI
 * (CI=true), where it fails: CI is where it is promised to run.
 */
export const NO_ADAPTER = 'no WebGPU adapter on this machine (install Mesa lavapipe: see docs/environment.md)';

type Backends = { name: string; backend: Backend | undefined }[];
let created: Promise<Backends> | undefined;

/** One CPU and one WebGPU backend per test file (each file has its own module instance). */
export function backends(): Promise<Backends> {
  created ??= create();
  return created;
}

async function create(): Promise<Backends> {
  const cpu = createCpuBackend({ threads: 1 });
  afterAll(() => cpu.destroy());
  let gpu: Backend | undefined;
  try {
    const webgpu = await createWebGPUBackend();
    afterAll(() => webgpu.destroy());
    gpu = webgpu;
  } catch (e) {
    if (!isRRError(e, 'WEBGPU_NO_ADAPTER') || process.env.CI === 'true') throw e;
  }
  return [
    { name: 'cpu', backend: cpu },
    { name: 'webgpu', backend: gpu },
  ];
}

/** ||a - b|| / ||b||. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return a.length !== b.length ? Infinity : Math.sqrt(num / (den || 1));
}
