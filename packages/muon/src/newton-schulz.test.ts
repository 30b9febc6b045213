import { Rng, createCpuBackend, isRRError, memoryStats } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { NEWTON_SCHULZ_COEFFICIENTS, NEWTON_SCHULZ_EPS } from './defaults.js';
import { newtonSchulz5 } from './newton-schulz.js';
import { defineMuonVectorTests, testMatrix } from './test-vectors.js';

// The vectors on every CPU path: f64 (plain TypeScript), f32 with the WebAssembly SIMD
// matmul, f32 with the plain matmul. Another backend plugs in with one more line.
defineMuonVectorTests('cpu f64', () => createCpuBackend({ threads: 1 }), 'f64');
defineMuonVectorTests('cpu f32 (wasm matmul)', () => createCpuBackend({ threads: 1 }), 'f32');
defineMuonVectorTests('cpu f32 (plain matmul)', () => createCpuBackend({ threads: 1, wasm: false }), 'f32');

/** The iteration on the host in f64 with full products (X X^T, A A: no symmetry used), rows <= cols. */
function newtonSchulzReference(g: Float64Array, rows: number, cols: number): Float64Array {
  const [a, b, c] = NEWTON_SCHULZ_COEFFICIENTS;
  const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0)) + NEWTON_SCHULZ_EPS;
  let x = g.map((v) => v / norm);
  const product = (p: Float64Array, q: Float64Array, m: number, k: number, n: number, transQ: boolean): Float64Array => {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let t = 0; t < k; t++) dot += p[i * k + t]! * (transQ ? q[j * k + t]! : q[t * n + j]!);
        out[i * n + j] = dot;
      }
    return out;
  };
  for (let step = 0; step < 5; step++) {
    const gram = product(x, x, rows, cols, rows, true);
    const square = product(gram, gram, rows, rows, rows, false);
    const poly = gram.map((v, i) => b * v + c * square[i]!);
    const polyX = product(poly, x, rows, rows, cols, false);
    x = x.map((v, i) => a * v + polyX[i]!);
  }
  return x;
}

describe('newtonSchulz5', () => {
  it('matches the full-product iteration on matrices larger than a symmetric row chunk (f32, SIMD matmul)', async () => {
    const cpu = createCpuBackend({ threads: 2 });
    const [rows, cols] = [70, 150];
    const g = Rng.fromSeed(11).fillNormal(new Float64Array(rows * cols));
    const ref = newtonSchulzReference(g, rows, cols);
    const wide = await newtonSchulz5(cpu.upload(g, [rows, cols], 'f32')).read();
    const tall = await newtonSchulz5(cpu.transpose(cpu.upload(g, [rows, cols], 'f32'))).read();
    let worst = 0;
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        worst = Math.max(worst, Math.abs(wide[i * cols + j]! - ref[i * cols + j]!), Math.abs(tall[j * rows + i]! - ref[i * cols + j]!));
      }
    expect(worst).toBeLessThan(2e-4);
    cpu.destroy();
  });

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
    const before = memoryStats(cpu).storages;
    const x = newtonSchulz5(g);
    expect(memoryStats(cpu).storages).toBe(before + 1);
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
