import { relativeError as suiteRelativeError } from '@rr/tensor/testing';
import { type CpuBackend, type DType, type Tensor, createCpuBackend, f16ToF32, f32ToF16 } from '@rr/tensor';
import { afterAll, describe, it } from 'vitest';
import { type TestContext, createTestContext } from './test-context.js';

/**
 * Tests only: what every model-kernel test needs. The reference is the CPU backend in f64 (its
 * kernels are the semantics the WebGPU ones must match), fed the inputs exactly as the GPU stores
 * them (f16-rounded for f16), so only the kernel's own error is measured:
 * ||gpu - cpu|| / ||cpu|| < 1e-5 in f32, < 2e-3 in f16.
 */

const gpu = await createTestContext();
export const cpu: CpuBackend = createCpuBackend({ threads: 1, wasm: false });

/**
 * A suite that needs the GPU: given the context when there is an adapter (and destroying its
 * device afterwards); otherwise one skipped test that says why, or on CI (CI=true), where the
 * adapter is promised, one failing test.
 */
export function describeGpu(title: string, body: (ctx: TestContext) => void): void {
  const ctx = gpu.ctx;
  if (ctx) {
    describe(title, () => {
      afterAll(() => ctx.destroy());
      body(ctx);
    });
    return;
  }
  const reason = (gpu as { reason: string }).reason;
  if (globalThis.process?.env?.CI === 'true') {
    it(`${title}: no GPU adapter on CI`, () => {
      throw new Error(`${title}: ${reason}, and CI=true requires the WebGPU tests to run.`);
    });
  } else {
    it.skip(`${title} (skipped: ${reason})`, () => {});
  }
}

export const tolerance: Record<'f32' | 'f16', number> = { f32: 1e-5, f16: 2e-3 };

/** f32, and f16 where the adapter has shader-f16. */
export function floatTypes(ctx: TestContext | undefined): ('f32' | 'f16')[] {
  return ctx?.features.f16 ? ['f32', 'f16'] : ['f32'];
}

/** A small seeded generator (mulberry32): each test draws a fresh seed and names it on failure. */
export class Random {
  #state: number;
  constructor(readonly seed: number = Math.floor(Math.random() * 2 ** 32)) {
    this.#state = seed >>> 0;
  }
  uniform(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  normal(n: number, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(1 - this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
    return out;
  }
  integers(n: number, below: number): Float64Array {
    return Float64Array.from({ length: n }, () => Math.floor(this.uniform() * below));
  }
}

/** The values as stored in `dtype` (f16 rounds). */
function stored(values: Float64Array, dtype: DType): Float64Array {
  if (dtype !== 'f16') return values;
  return Float64Array.from(f16ToF32(f32ToF16(Float32Array.from(values))));
}

export interface Pair {
  gpu: Tensor;
  cpu: Tensor;
}

/** The same values on the GPU (in `dtype`) and on the CPU reference (f64, integers as i32). */
export function both(ctx: TestContext, values: Float64Array, shape: readonly number[], dtype: DType): Pair {
  const integer = dtype === 'i32' || dtype === 'u32';
  return {
    gpu: ctx.upload(values, shape, dtype),
    cpu: cpu.upload(stored(values, dtype), shape, integer ? dtype : 'f64'),
  };
}

/** The conformance suite's ||a - b|| / ||b|| on two tensors' contents. */
export async function relativeError(actual: Tensor, expected: Tensor): Promise<number> {
  return suiteRelativeError(await actual.read(), await expected.read());
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
