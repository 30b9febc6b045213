import { type Tensor, isRRError } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { relativeError } from '@rr/tensor/testing';
import { NO_ADAPTER, cpu, gpu, matmulError, testRng } from '../test-support.js';
import { defineKernel, flatEntry } from './wgsl.js';

const be = await gpu();
/** The same backend with storage bindings capped at 4 KiB, so that small tensors take the sharded paths of big ones. */
const capped = await gpu({ maxStorageBufferBindingSize: 4096 });

const read = async (t: Tensor): Promise<number[]> => Array.from(await t.read());

describe.skipIf(!be)(`data movement and dtypes${be ? '' : `: skipped, ${NO_ADAPTER}`}`, () => {
  it('casts between f32, i32, u32 (and f16 where stored), truncating toward zero', async () => {
    const x = be!.upload([1.75, -2.5, 3, 0], [4], 'f32');
    expect(await read(be!.cast(x, 'i32'))).toEqual([1, -2, 3, 0]);
    expect(await read(be!.cast(be!.upload([7, 9], [2], 'i32'), 'f32'))).toEqual([7, 9]);
    expect(await read(be!.cast(be!.upload([5, 4000000000], [2], 'u32'), 'u32'))).toEqual([5, 4000000000]);
    if (be!.features.f16) {
      const h = be!.cast(x, 'f16');
      expect(h.dtype).toBe('f16');
      expect(await read(h)).toEqual([1.75, -2.5, 3, 0]);
      expect(await read(be!.cast(h, 'i32'))).toEqual([1, -2, 3, 0]);
    }
  });

  it.skipIf(!be?.features.f16)('uploads and reads f16, odd lengths included, rounding to nearest', async () => {
    expect(await read(be!.upload([1, 0.1, -65504, 3], [4], 'f16'))).toEqual([1, 0.0999755859375, -65504, 3]);
    expect(await read(be!.upload([2.5, -1, 1 / 3], [3], 'f16'))).toEqual([2.5, -1, 0.333251953125]);
  });

  it('fills any dtype, and zeros', async () => {
    expect(await read(be!.full([3], -1.5, 'f32'))).toEqual([-1.5, -1.5, -1.5]);
    expect(await read(be!.full([2], -7, 'i32'))).toEqual([-7, -7]);
    expect(await read(be!.zeros([2, 2], 'u32'))).toEqual([0, 0, 0, 0]);
  });

  it('moves integer data bit-exactly (concat, slice, transpose, writeRange on i32)', async () => {
    const big = 2 ** 31 - 1;
    const a = be!.upload([1, 2, big, -4], [2, 2], 'i32');
    const b = be!.upload([5, -6], [2, 1], 'i32');
    expect(await read(be!.concat([a, b]))).toEqual([1, 2, 5, big, -4, -6]);
    expect(await read(be!.slice(a, 1, 2))).toEqual([2, -4]);
    expect(await read(be!.transpose(a))).toEqual([1, big, 2, -4]);
    const dst = be!.zeros([2, 3], 'i32');
    be!.writeRange(dst, b, 1, 2);
    expect(await read(dst)).toEqual([0, 0, 5, 0, 0, -6]);
  });

  it('writeRange appends to a KV cache along the time axis, and assign overwrites in place', async () => {
    const cache = be!.zeros([2, 4, 3], 'f32');
    const step = be!.upload([1, 2, 3, 4, 5, 6], [2, 1, 3], 'f32');
    be!.writeRange(cache, step, 1, 2);
    const want = new Array(24).fill(0);
    want.splice(6, 3, 1, 2, 3);
    want.splice(18, 3, 4, 5, 6);
    expect(await read(cache)).toEqual(want);
    be!.assign(cache, be!.full([2, 4, 3], 2, 'f32'));
    expect(await read(cache)).toEqual(new Array(24).fill(2));
  });

  it('folds a grid of more than 65535 workgroups into two dimensions (grid1d)', async () => {
    const n = 70_000;
    const ctx = be!.kernels('grid test');
    const out = ctx.output([n], 'u32');
    const grid = ctx.grid1d(n, 1);
    expect(grid[1]).toBeGreaterThan(1);
    const iota = defineKernel('test/iota', { params: { n: 'u32' }, read: {}, write: { y: 'u32' } }, () => flatEntry(1, '  if (i < p.n) { y[i] = i; }'));
    iota.run(ctx, { params: { n }, read: {}, write: { y: out }, workgroups: grid, variant: { float: 'f32' } });
    const got = await out.read();
    expect(got.every((v, i) => v === i)).toBe(true);
  });
});

describe.skipIf(!capped)(`tensors larger than one storage binding (capped at 4 KiB)${capped ? '' : `: skipped, ${NO_ADAPTER}`}`, () => {
  const n = 5000; // 20 kB of f32: five bindings' worth
  const x = Float64Array.from(testRng(11).values(n), (v) => v + 2);

  it('runs elementwise ops, cast and sum in chunks', async () => {
    const g = capped!;
    const t = g.upload(x, [n], 'f32');
    const r = cpu.upload(Float64Array.from(await t.read()), [n], 'f64');
    expect(relativeError(await g.unary('log', t).read(), await cpu.unary('log', r).read())).toBeLessThan(1e-6);
    expect(relativeError(await g.binary('mul', t, t).read(), await cpu.binary('mul', r, r).read())).toBeLessThan(1e-6);
    expect(relativeError(await g.affine(t, 3, -1).read(), await cpu.affine(r, 3, -1).read())).toBeLessThan(1e-6);
    expect(relativeError(await g.sum(t).read(), await cpu.sum(r).read())).toBeLessThan(1e-6);
    expect(await read(g.cast(g.cast(t, 'i32'), 'f32'))).toEqual(Array.from(x, Math.trunc));
  });

  it('runs matmul with a shared b far larger than a binding (an LM head), every layout', async () => {
    // b is 600 x 40 f32 = 96 kB, 24 bindings: cut along its rows (N with transB, K without)
    expect(await matmulError(capped!, { batch: [2], m: 3, k: 40, n: 600, transB: true }, 'f32')).toBeLessThan(1e-5);
    expect(await matmulError(capped!, { m: 5, k: 600, n: 40 }, 'f32')).toBeLessThan(1e-5);
    expect(await matmulError(capped!, { m: 70, k: 36, n: 30, transA: true }, 'f32')).toBeLessThan(1e-5);
    expect(await matmulError(capped!, { batch: [3], m: 33, k: 20, n: 24, bBatched: true }, 'f32')).toBeLessThan(1e-5);
  });

  it('names the op, the size and the limit when a single row is too large to shard', async () => {
    const g = capped!;
    const a = g.upload(new Float32Array(2 * 2000), [2, 2000], 'f32');
    const b = g.upload(new Float32Array(2000 * 2), [2000, 2], 'f32');
    let error: unknown;
    try {
      g.matmul(a, b, { transA: false, transB: false });
      g.matmul(g.upload(new Float32Array(2000 * 3), [3, 2000], 'f32'), g.upload(new Float32Array(2000 * 3), [3, 2000], 'f32'), { transB: true });
    } catch (e) {
      error = e;
    }
    expect(isRRError(error, 'WEBGPU_BINDING_TOO_LARGE')).toBe(true);
    expect((error as Error).message).toMatch(/matmul.*4096 bytes/);
  });
});
