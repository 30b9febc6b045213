import { pickAdapter } from '@rr/kernels-webgpu';
import { describe, expect, it } from 'vitest';
import { cli } from '../testing/cli.js';
import { TINY_BLOCK } from '../testing/tiny-flags.js';

/** `rr info`, `rr bench block` and `rr bench matmul` on WebGPU. Without an adapter they skip, except on CI. */
const adapter = await pickAdapter().catch((e: unknown) => {
  if (process.env.CI === 'true') throw e;
  return undefined;
});

describe.skipIf(!adapter)(`webgpu commands${adapter ? '' : ': skipped, no WebGPU adapter on this machine'}`, () => {
  it('rr info --json reports the adapter, Dawn backend, limits and features', async () => {
    const { out, code } = await cli(['info', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r).toMatchObject({
      vendor: expect.any(String),
      description: expect.any(String),
      isFallbackAdapter: expect.any(Boolean),
      backend: expect.any(String),
    });
    expect(r.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(r.features)).toBe(true);
  });

  it('rr info prints a table', async () => {
    const { out } = await cli(['info']);
    expect(out).toMatch(/adapter .*\n/);
    expect(out).toMatch(/maxStorageBufferBindingSize\s+\d+/);
  });

  it('rr bench block --backend webgpu times a layer and allocates no GPU buffers after the warm-up', async () => {
    const { out, code, err } = await cli(['bench', 'block', '--backend', 'webgpu', ...TINY_BLOCK, '--json']);
    expect(code, err).toBe(0);
    const r = JSON.parse(out);
    expect(r.backend).toBe('webgpu');
    expect(r.tokens_per_s).toBeGreaterThan(0);
    expect(r.pool_allocations_per_step).toEqual([0, 0]);
  });

  it('rr bench matmul --backend webgpu --peer tfjs reports both sides and the ratio', async () => {
    const { out, code, err } = await cli(['bench', 'matmul', '--backend', 'webgpu', '--peer', 'tfjs', '--sizes', '32', '--seconds', '0.01', '--json']);
    expect(code, err).toBe(0);
    const r = JSON.parse(out);
    expect(r).toMatchObject({ backend: 'webgpu', op: 'matmul', peer: { name: 'tfjs-backend-webgpu', version: '4.22.0' } });
    expect(r.results[0].gflops).toBeGreaterThan(0);
    expect(r.peer.results[0].gflops).toBeGreaterThan(0);
    expect(r.results[0].ratio).toBeCloseTo(r.results[0].gflops / r.peer.results[0].gflops, 6);
  });

  it('rejects --peer without --backend webgpu, naming the flag', async () => {
    const { err, code } = await cli(['bench', 'matmul', '--backend', 'cpu', '--peer', 'tfjs', '--sizes', '8']);
    expect(code).toBe(1);
    expect(err).toMatch(/--peer tfjs .*--backend webgpu.*\[BAD_FLAG\]/);
  });
});
