import { describe, expect, it } from 'vitest';
import { cpu, gpu, randomValues, relativeError } from './test-support.js';

const be = await gpu();
describe.skipIf(!be)('smoke', () => {
  it('adds and multiplies', async () => {
    const g = be!;
    const a = g.upload([1, 2, 3, 4], [4], 'f32');
    const b = g.upload([10, 20, 30, 40], [4], 'f32');
    expect(Array.from(await g.binary('add', a, b).read())).toEqual([11, 22, 33, 44]);
    expect(Array.from(await g.affine(a, 2, 1).read())).toEqual([3, 5, 7, 9]);
    expect(Array.from(await g.sum(b).read())).toEqual([100]);
  });
  it('matmul 37x29x41', async () => {
    const g = be!;
    const c = cpu();
    const [m, k, n] = [37, 29, 41];
    const av = randomValues(m * k, 1), bv = randomValues(k * n, 2);
    const want = await c.matmul(c.upload(av, [m, k], 'f32'), c.upload(bv, [k, n], 'f32')).read();
    const got = await g.matmul(g.upload(av, [m, k], 'f32'), g.upload(bv, [k, n], 'f32')).read();
    expect(relativeError(got, want)).toBeLessThan(1e-5);
  });
  it('matmul 64x64x64 vec4', async () => {
    const g = be!;
    const c = cpu();
    const [m, k, n] = [64, 64, 64];
    const av = randomValues(m * k, 1), bv = randomValues(k * n, 2);
    const want = await c.matmul(c.upload(av, [m, k], 'f32'), c.upload(bv, [k, n], 'f32')).read();
    const got = await g.matmul(g.upload(av, [m, k], 'f32'), g.upload(bv, [k, n], 'f32')).read();
    expect(relativeError(got, want)).toBeLessThan(1e-5);
  });
});
