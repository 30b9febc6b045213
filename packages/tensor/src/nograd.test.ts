import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from './cpu/backend.js';
import * as nograd from './nograd.js';
import * as ops from './ops/index.js';

const be = createCpuBackend();
afterAll(() => be.destroy());

describe('nograd', () => {
  it('computes what ops computes, without recording on tensors that require gradients', async () => {
    const p = be.upload([1, -2, 3], [3], 'f32');
    p.requiresGrad = true;
    const taped = ops.mul(ops.affine(p, 2, 1), p);
    const plain = nograd.mul(nograd.affine(p, 2, 1), p);
    expect(taped.requiresGrad).toBe(true);
    expect(plain.requiresGrad).toBe(false);
    expect(plain.node).toBeUndefined();
    expect([...(await plain.read())]).toEqual([...(await taped.read())]);
    for (const t of [p, taped, plain]) t.dispose();
  });

  it('assigns in place, and clone copies into new memory', async () => {
    const p = be.upload([1, 2], [2], 'f32');
    const copy = nograd.clone(p);
    nograd.assign(p, nograd.fullLike(p, 5));
    expect([...(await p.read())]).toEqual([5, 5]);
    expect([...(await copy.read())]).toEqual([1, 2]);
    expect(() => nograd.assign(p, nograd.zerosLike(p, 'f64'))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => nograd.add(p, be.upload([1, 2, 3], [3], 'f32'))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('takes the symmetric hint only for a square product, and names the shape otherwise', async () => {
    const x = be.upload([1, 2, 3, 4, 5, 6], [2, 3], 'f32');
    expect([...(await nograd.matmul(x, x, { transB: true, symmetric: true }).read())]).toEqual([14, 32, 32, 77]);
    expect(() => nograd.matmul(x, x, { transA: true, transB: true, symmetric: true })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => nograd.matmul(x, be.upload([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3], 'f32'), { symmetric: true })).toThrow(
      /symmetric needs a square product, this one is 2 x 3/,
    );
  });
});
