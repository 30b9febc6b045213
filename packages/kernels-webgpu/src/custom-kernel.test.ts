import { type CustomKernel, isRRError } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { relativeError } from '@rr/tensor/testing';
import { NO_ADAPTER, gpu, testRng } from './test-support.js';

/**
 * A kernel from outside rr (CustomKernel), bound by the contract's layout: params uniform, the
 * inputs read-only in order, then the output. Written by hand here; @rr/js-kernels produces them.
 */
const AXPY: CustomKernel['wgsl']['code'] = `
struct Params { n: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= p.n) { return; }
  y[id.x] = a[id.x] * p.s + b[id.x];
}`;

const axpy = (n: number, s: number): CustomKernel => ({
  name: 'axpy',
  js: () => {
    throw new Error('the webgpu backend must not run the JavaScript form');
  },
  wgsl: {
    code: AXPY,
    uniforms: [
      ['u32', n],
      ['f32', s],
    ],
    workgroups: [Math.ceil(n / 64), 1],
  },
});

const be = await gpu();

describe.skipIf(!be)(be ? 'custom kernels on webgpu' : `skipped: ${NO_ADAPTER}`, () => {
  it('runs the WGSL form on the backend tensors', async () => {
    const n = 1000;
    const rng = testRng();
    const [x, z] = [rng.values(n), rng.values(n)];
    const a = be!.upload(x, [n], 'f32');
    const b = be!.upload(z, [n], 'f32');
    const y = be!.runCustomKernel(axpy(n, 0.25), [a, b], { shape: [10, 100], dtype: 'f32' });
    expect(y.shape).toEqual([10, 100]);
    const stored = [await a.read(), await b.read()];
    expect(
      relativeError(
        await y.read(),
        Array.from(stored[0]!, (v, i) => v * 0.25 + stored[1]![i]!),
      ),
    ).toBeLessThan(1e-6);
    for (const t of [a, b, y]) t.dispose();
  });

  it('refuses non-f32 tensors with the fix', () => {
    const ids = be!.upload([1, 2], [2], 'i32');
    try {
      be!.runCustomKernel(axpy(2, 1), [ids, ids], { shape: [2], dtype: 'f32' });
      expect.unreachable();
    } catch (e) {
      expect(isRRError(e, 'UNSUPPORTED_DTYPE')).toBe(true);
      expect((e as Error).message).toMatch(/f32 tensors.*cast/);
    }
    ids.dispose();
  });
});
