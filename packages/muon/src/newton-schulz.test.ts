import { Rng, createCpuBackend, isRRError } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { newtonSchulz5 } from './newton-schulz.js';
import { defineMuonVectorTests, testMatrix } from './test-vectors.js';

// The vectors on every CPU path: f64 (plain TypeScript), f32 with the WebAssembly SIMD
// matmul, f32 with the plain matmul. Another backend plugs in with one more line.
defineMuonVectorTests('cpu f64', () => createCpuBackend({ threads: 1 }), 'f64');
defineMuonVectorTests('cpu f32 (wasm matmul)', () => createCpuBackend({ threads: 1 }), 'f32');
defineMuonVectorTests('cpu f32 (plain matmul)', () => createCpuBackend({ threads: 1, wasm: false }), 'f32');

describe('newtonSchulz5', () => {
  it('maps a matrix and its transpose to transposes of each other', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const g = cpu.upload(testMatrix(5, 9), [5, 9], 'f64');
    const wide = await newtonSchulz5(g).read();
    const tall = await newtonSchulz5(cpu.transpose(g)).read();
    for (let i = 0; i < 5; i++) for (let j = 0; j < 9; j++) expect(tall[j * 5 + i]).toBeCloseTo(wide[i * 9 + j]!, 12);
    cpu.destroy();
  });

  it('pushes singular values towards 1: X X^T is near the identity', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    // a Gaussian matrix (the sine test matrix has rank 2: most of its singular values are ~0)
    const gaussian = Rng.fromSeed(5).fillNormal(new Float64Array(8 * 16));
    const x = newtonSchulz5(cpu.upload(gaussian, [8, 16], 'f64'));
    const gram = await cpu.matmul(x, x, { transB: true }).read();
    for (let i = 0; i < 8; i++) {
      // the quintic's singular values settle in roughly [0.7, 1.2]
      expect(gram[i * 8 + i]).toBeGreaterThan(0.49);
      expect(gram[i * 8 + i]).toBeLessThan(1.44);
    }
    cpu.destroy();
  });

  it('keeps a zero matrix zero (the 1e-7 in the normalisation)', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    expect(Array.from(await newtonSchulz5(cpu.zeros([3, 4], 'f32')).read())).toEqual(new Array(12).fill(0));
    cpu.destroy();
  });

  it('frees its intermediates', () => {
    const cpu = createCpuBackend({ threads: 1 });
    const g = cpu.upload(testMatrix(6, 4), [6, 4], 'f32');
    const before = cpu.memory().storages;
    const x = newtonSchulz5(g);
    expect(cpu.memory().storages).toBe(before + 1);
    x.dispose();
    cpu.destroy();
  });

  it('rejects a non-matrix', () => {
    const cpu = createCpuBackend({ threads: 1 });
    try {
      newtonSchulz5(cpu.zeros([4], 'f32'));
      expect.unreachable();
    } catch (e) {
      expect(isRRError(e, 'SHAPE_MISMATCH')).toBe(true);
      expect(String(e)).toMatch(/needs a float matrix/);
    }
    cpu.destroy();
  });
});
