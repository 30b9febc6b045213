import { type Backend, type DType, type Tensor, scope } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { Muon } from './muon.js';
import { newtonSchulz5 } from './newton-schulz.js';

/**
 * The Muon test vectors (a float64 reference), as a suite any backend can run:
 * `defineMuonVectorTests('webgpu f32', () => createWebGpuBackend(), 'f32')`.
 * Test-only (imports vitest); not part of the package's exports.
 */

/** G[i][j] = sin(0.37 * (i * cols + j) + 0.1 * i), row-major. */
export function testMatrix(rows: number, cols: number, f: (x: number) => number = (x) => x): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.push(f(Math.sin(0.37 * (i * cols + j) + 0.1 * i)));
  return out;
}

export const MUON_VECTORS = {
  newtonSchulz: [
    { rows: 4, cols: 6, row0: [0.008695, 0.142053, 0.256185, 0.335644, 0.369675, 0.353672], frobenius: 1.294948 },
    { rows: 6, cols: 4, row0: [-0.25282, -0.007307, 0.239194, 0.453321], frobenius: 1.290947 },
  ],
  /** Two Muon steps (beta 0.95, lr 0.02, wd 0.1) from p0 = 0.5 G with gradients G, then cos(3G). */
  twoSteps: { rows: 4, cols: 6, lr: 0.02, weightDecay: 0.1, momentum: 0.95, row0: [-0.009091, 0.170208, 0.340417, 0.448304, 0.48807, 0.480148], sum: 2.546292 },
  tolerance: 1e-4,
} as const;

async function readNumbers(t: Tensor): Promise<number[]> {
  return Array.from(await t.read());
}

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i]!)));
  expect(worst, `got [${actual.map((a) => a.toFixed(6)).join(', ')}]`).toBeLessThan(tolerance);
}

export function defineMuonVectorTests(label: string, createBackend: () => Backend, dtype: DType): void {
  describe(`Muon test vectors on ${label}`, () => {
    const { tolerance } = MUON_VECTORS;

    for (const { rows, cols, row0, frobenius } of MUON_VECTORS.newtonSchulz) {
      it(`newtonSchulz5 of the ${rows}x${cols} test matrix`, async () => {
        const backend = createBackend();
        try {
          const g = backend.upload(testMatrix(rows, cols), [rows, cols], dtype);
          const x = newtonSchulz5(g);
          expect(x.shape).toEqual([rows, cols]);
          expect(x.dtype).toBe(dtype);
          const values = await readNumbers(x);
          expectClose(values.slice(0, cols), row0, tolerance);
          expect(Math.abs(Math.hypot(...values) - frobenius)).toBeLessThan(tolerance);
        } finally {
          backend.destroy();
        }
      });
    }

    it('two Muon steps of the 4x6 test matrix', async () => {
      const { rows, cols, lr, weightDecay, momentum, row0, sum } = MUON_VECTORS.twoSteps;
      const backend = createBackend();
      try {
        const p = backend.upload(
          testMatrix(rows, cols, (g) => 0.5 * g),
          [rows, cols],
          dtype,
        );
        const muon = new Muon({ lr, weightDecay, momentum });
        const param = { name: 'w', tensor: p };
        for (const f of [(g: number) => g, (g: number) => Math.cos(3 * g)]) {
          scope(() => muon.step([param], [backend.upload(testMatrix(rows, cols, f), [rows, cols], dtype)]));
        }
        const values = await readNumbers(p);
        expectClose(values.slice(0, cols), row0, tolerance);
        expect(Math.abs(values.reduce((a, b) => a + b, 0) - sum)).toBeLessThan(tolerance);
        muon.dispose();
      } finally {
        backend.destroy();
      }
    });
  });
}
