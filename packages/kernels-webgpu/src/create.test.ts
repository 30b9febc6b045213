import { isRRError } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { REQUESTED_LIMITS, USEFUL_FEATURES, type WebGPUFeature, pickAdapter } from './adapter.js';
import { createWebGPUBackend } from './create.js';
import { NO_ADAPTER, gpu } from './test-support.js';

function expectRRError(e: unknown, code: string, patterns: RegExp[]): void {
  expect(isRRError(e, code), `expected RRError ${code}, got ${String(e)}`).toBe(true);
  for (const re of patterns) expect((e as Error).message).toMatch(re);
}

/** Rejects with an RRError of `code` whose message matches every pattern. */
async function rejectsWith(p: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<void> {
  expectRRError(
    await p.then(
      () => undefined,
      (e: unknown) => e,
    ),
    code,
    patterns,
  );
}

function throwsWith(fn: () => unknown, code: string, ...patterns: RegExp[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expectRRError(error, code, patterns);
}

const be = await gpu();

describe.skipIf(!be)(`createWebGPUBackend${be ? '' : `: skipped, ${NO_ADAPTER}`}`, () => {
  it("requests the adapter's own limits and every useful feature it has", () => {
    const adapter = be!.adapter!;
    expect(adapter.vendor).toEqual(expect.any(String));
    expect(typeof adapter.isFallbackAdapter).toBe('boolean');
    expect(adapter.backend).toMatch(/vulkan|metal|d3d12|opengl/);
    const limits = be!.device.limits as unknown as Record<string, number>;
    for (const name of REQUESTED_LIMITS) expect(limits[name], name).toBe(adapter.limits[name]);
    for (const f of USEFUL_FEATURES) expect(be!.device.features.has(f), f).toBe(adapter.features.includes(f));
    expect(be!.dtypes.includes('f16')).toBe(adapter.features.includes('shader-f16'));
    expect(be!.matmulKernel).toBe(adapter.isFallbackAdapter ? 'registers' : 'tiled');
  });

  it('rejects a required feature the adapter lacks, naming it', async () => {
    const lacking = ['texture-compression-astc', 'texture-compression-etc2', 'chromium-experimental-subgroup-matrix'].find(
      (f) => !be!.adapter!.features.includes(f),
    ) as WebGPUFeature;
    await rejectsWith(createWebGPUBackend({ features: [lacking] }), 'WEBGPU_UNSUPPORTED_FEATURE', new RegExp(lacking));
  });

  it('leaves an injected device alive on destroy(), unless told to own it', async () => {
    const device = await (await pickAdapter()).requestDevice();
    const borrowed = await createWebGPUBackend({ device });
    expect(Array.from(await borrowed.upload([1, 2, 3], [3], 'f32').read())).toEqual([1, 2, 3]);
    borrowed.destroy();
    const owner = await createWebGPUBackend({ device, ownDevice: true });
    expect(Array.from(await owner.affine(owner.upload([1, 2], [2], 'f32'), 2, 0).read())).toEqual([2, 4]);
    owner.destroy();
    expect((await device.lost).reason).toBe('destroyed');
  });

  it('throws BACKEND_DESTROYED for any op after destroy()', async () => {
    const b = await createWebGPUBackend();
    const x = b.upload([1, 2], [2], 'f32');
    b.destroy();
    throwsWith(() => b.upload([1], [1], 'f32'), 'BACKEND_DESTROYED', /destroy/);
    throwsWith(() => b.unary('exp', x), 'BACKEND_DESTROYED');
    await rejectsWith(x.read(), 'BACKEND_DESTROYED');
    await rejectsWith(b.sync(), 'BACKEND_DESTROYED');
    x.dispose(); // releasing after destroy is harmless
    b.destroy(); // and so is destroying twice
  });

  it('throws WEBGPU_DEVICE_LOST once the device is gone', async () => {
    const device = await (await pickAdapter()).requestDevice();
    const b = await createWebGPUBackend({ device });
    device.destroy();
    await device.lost;
    throwsWith(() => b.upload([1], [1], 'f32'), 'WEBGPU_DEVICE_LOST', /lost/);
    b.destroy();
  });

  it('throws WEBGPU_BINDING_TOO_LARGE for a kernel without a sharded path, naming the op, size and limit', async () => {
    const small = await createWebGPUBackend({ maxStorageBufferBindingSize: 4096 });
    try {
      const x = small.upload(new Float32Array(32 * 64), [32, 64], 'f32');
      throwsWith(() => small.transpose(x), 'WEBGPU_BINDING_TOO_LARGE', /transpose/, /8192 bytes/, /4096-byte limit/);
    } finally {
      small.destroy();
    }
  });

  it('surfaces a broken kernel as WEBGPU_VALIDATION naming it, and keeps working', async () => {
    const b = await createWebGPUBackend();
    try {
      const t = b.zeros([4], 'f32');
      b.kernels('my op').dispatch({ name: 'broken-kernel', code: 'this is not WGSL' }, { read: [], write: [t], workgroups: [1] });
      await rejectsWith(b.sync(), 'WEBGPU_VALIDATION', /broken-kernel/);
      expect(Array.from(await b.affine(t, 1, 3).read())).toEqual([3, 3, 3, 3]);
    } finally {
      b.destroy();
    }
  });
});
