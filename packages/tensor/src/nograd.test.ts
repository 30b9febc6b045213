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
});
