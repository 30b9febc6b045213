import { type CpuBackend, type DType, type MatmulOptions, Rng, type Tensor, createCpuBackend, f16ToF32, f32ToF16, isRRError } from '@rr/tensor';
import { relativeError } from '@rr/tensor/testing';
import { afterAll, describe, it } from 'vitest';
import { WebGPUBackend } from './backend.js';
import type { LimitCaps } from './context.js';
import { type WebGPUBackendOptions, createWebGPUBackend } from './create.js';
import type { KernelContext } from './kernel.js';

/**
 * Tests only. Every kernel is checked through the real backend against the CPU backend in f64
 * (its kernels are the semantics the WebGPU ones must match), fed the inputs exactly as the GPU
 * stores them (f16-rounded for f16), so only the kernel's own error is measured. Without an
 * adapter a suite is skipped with the reason, except on CI (CI=true), where the adapter is
 * promised and a missing one fails.
 */
export const NO_ADAPTER = 'no WebGPU adapter on this machine (install Mesa lavapipe: see docs/environment.md)';

const onCi = (): boolean => globalThis.process?.env?.CI === 'true';

/** A WebGPU backend destroyed after the file's tests, or undefined without an adapter. */
export async function gpu(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend | undefined> {
  try {
    const backend = await createWebGPUBackend(options);
    afterAll(() => backend.destroy());
    return backend;
  } catch (e) {
    if (isRRError(e, 'WEBGPU_NO_ADAPTER') && !onCi()) return undefined;
    throw e;
  }
}

/** The f64 CPU backend: the reference every result here is compared with. */
export const cpu: CpuBackend = createCpuBackend({ threads: 1, wasm: false });

/**
 * A backend's kernel context, for calling kernels directly, with what the tests inspect.
 * `withLimits` gives another backend on the same device whose kernels see lower limits (smaller
 * bindings, a coarser offset alignment, less workgroup memory), so small tensors take the paths of
 * big ones, and the backend checks every binding against those limits.
 */
export interface TestGpu extends KernelContext {
  readonly backend: WebGPUBackend;
  withLimits(caps: LimitCaps): TestGpu;
}

function testGpu(backend: WebGPUBackend, capped: Map<string, TestGpu>): TestGpu {
  const ctx = backend.kernels('kernel test');
  return {
    backend,
    device: ctx.device,
    limits: ctx.limits,
    features: ctx.features,
    output: (shape, dtype, options) => ctx.output(shape, dtype, options),
    dispatch: (shader, args) => ctx.dispatch(shader, args),
    copy: (src, srcOffset, dst, dstOffset, bytes) => ctx.copy(src, srcOffset, dst, dstOffset, bytes),
    grid1d: (n, size) => ctx.grid1d(n, size),
    withLimits(caps) {
      const key = JSON.stringify(caps);
      let t = capped.get(key);
      if (!t) {
        const limited = new WebGPUBackend({
          device: backend.device,
          ownsDevice: false,
          matmulKernel: backend.matmulKernel,
          sleepWhileWaiting: false,
          limitCaps: caps,
        });
        capped.set(key, (t = testGpu(limited, capped)));
      }
      return t;
    },
  };
}

/** A suite that needs the GPU: its body gets the test context, or the suite is skipped (fails on CI) with the reason. */
export function describeGpu(title: string, body: (gpu: TestGpu) => void): void {
  const backendPromise = gpu();
  const capped = new Map<string, TestGpu>();
  afterAll(() => capped.forEach((t) => t.backend.destroy()));
  describe(title, async () => {
    const backend = await backendPromise;
    if (backend) body(testGpu(backend, capped));
    else if (onCi())
      it(`${title}: no GPU adapter on CI`, () => {
        throw new Error(`${title}: ${NO_ADAPTER}, and CI=true requires the WebGPU tests to run.`);
      });
    else it.skip(`${title} (skipped: ${NO_ADAPTER})`, () => {});
  });
}

export const tolerance: Record<'f32' | 'f16', number> = { f32: 1e-5, f16: 2e-3 };

/** f32, and f16 where the adapter has shader-f16. */
export function floatTypes(gpu: TestGpu): ('f32' | 'f16')[] {
  return gpu.features.f16 ? ['f32', 'f16'] : ['f32'];
}

/** Draws from @rr/tensor's Rng under a fresh seed that a failing test names, so that it replays. */
export function testRng(seed: number = Math.floor(Math.random() * 2 ** 32)) {
  const rng = Rng.fromSeed(seed).stream('kernels-webgpu test');
  return {
    seed,
    uniform: (): number => rng.uniform(),
    normal: (n: number, std = 1): Float64Array => Float64Array.from({ length: n }, () => rng.normal(0, std)),
    integers: (n: number, below: number): Float64Array => Float64Array.from({ length: n }, () => rng.integer(below)),
    /** Uniform in [-1, 1). */
    values: (n: number): Float64Array => Float64Array.from({ length: n }, () => 2 * rng.uniform() - 1),
  };
}

export interface Pair {
  gpu: Tensor;
  cpu: Tensor;
}

/** The same values on the GPU (in `dtype`) and on the reference (f64 as the GPU stores them, so f16-rounded; integers as they are). */
export function both(gpu: TestGpu, values: ArrayLike<number>, shape: readonly number[], dtype: DType): Pair {
  const integer = dtype === 'i32' || dtype === 'u32';
  const stored = dtype === 'f16' ? f16ToF32(f32ToF16(Float32Array.from(values))) : values;
  return { gpu: gpu.backend.upload(values, shape, dtype), cpu: cpu.upload(Float64Array.from(stored), shape, integer ? dtype : 'f64') };
}

/** The conformance suite's ||a - b|| / ||b|| on two tensors' contents. */
export async function tensorError(actual: Tensor, expected: Tensor): Promise<number> {
  return relativeError(await actual.read(), await expected.read());
}

/** Disposes every tensor in nested results ({ out, lse }, arrays of pairs, ...). */
export function disposeAll(...values: unknown[]): void {
  for (const v of values) {
    if (v && typeof v === 'object') {
      if ('dispose' in v && typeof (v as Tensor).dispose === 'function') (v as Tensor).dispose();
      else for (const inner of Object.values(v)) disposeAll(inner);
    }
  }
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
export async function matmulError(be: WebGPUBackend, c: MatmulCase, dtype: DType, seed = 1): Promise<number> {
  const batch = c.batch ?? [];
  const opts: MatmulOptions = { transA: c.transA ?? false, transB: c.transB ?? false };
  const aShape = [...(c.aShared ? [] : batch), ...(opts.transA ? [c.k, c.m] : [c.m, c.k])];
  const bShape = [...(c.bBatched ? batch : []), ...(opts.transB ? [c.n, c.k] : [c.k, c.n])];
  const size = (s: number[]): number => s.reduce((x, y) => x * y, 1);
  const rng = testRng(seed);
  const g = testGpu(be, new Map());
  const a = both(g, rng.values(size(aShape)), aShape, dtype);
  const b = both(g, rng.values(size(bShape)), bShape, dtype);
  const out = be.matmul(a.gpu, b.gpu, opts);
  const want = cpu.matmul(a.cpu, b.cpu, opts);
  const err = out.shape.join() === want.shape.join() ? await tensorError(out, want) : Infinity;
  disposeAll(a, b, out, want);
  return err;
}
