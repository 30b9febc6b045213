import { type FloatArray } from './types.js';

/** A (batched) matmul's shape; `a` is [batch, m, k] ([batch, k, m] with transA), `b` [batch, k, n] ([.., n, k] with transB). */
export interface MatmulShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** false: b is a single matrix shared by every batch entry (a linear layer's weight). */
  bBatched: boolean;
  /**
   * Elements from one batch entry to the next, when not packed (m * k, k * n, m * n): attention
   * runs one block of query rows of every (batch, head) pair as one batched matmul.
   */
  aStride?: number;
  bStride?: number;
  cStride?: number;
  /** out += a @ b instead of out = a @ b. */
  accumulate?: boolean;
}

/**
 * Plain TypeScript matmul: the reference path (f64, and f32 where WebAssembly is unavailable).
 * Accumulates each output row in f64. With transB the inner loop is a contiguous dot product;
 * without, a contiguous axpy over a row of b.
 */
export function matmulPlain(a: FloatArray, b: FloatArray, out: FloatArray, s: MatmulShape): void {
  const { batch, m, n, k, transA, transB, bBatched } = s;
  const add = s.accumulate === true;
  const acc = new Float64Array(n);
  for (let z = 0; z < batch; z++) {
    const aOff = z * (s.aStride ?? m * k);
    const bOff = bBatched ? z * (s.bStride ?? k * n) : 0;
    const oOff = z * (s.cStride ?? m * n);
    for (let i = 0; i < m; i++) {
      if (transB) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          const bRow = bOff + j * k;
          if (transA) for (let p = 0; p < k; p++) dot += a[aOff + p * m + i]! * b[bRow + p]!;
          else for (let p = 0, aRow = aOff + i * k; p < k; p++) dot += a[aRow + p]! * b[bRow + p]!;
          out[oOff + i * n + j] = add ? out[oOff + i * n + j]! + dot : dot;
        }
      } else {
        acc.fill(0);
        for (let p = 0; p < k; p++) {
          const aip = transA ? a[aOff + p * m + i]! : a[aOff + i * k + p]!;
          if (aip === 0) continue;
          const bRow = bOff + p * n;
          for (let j = 0; j < n; j++) acc[j] += aip * b[bRow + j]!;
        }
        for (let j = 0; j < n; j++) out[oOff + i * n + j] = add ? out[oOff + i * n + j]! + acc[j]! : acc[j]!;
      }
    }
  }
}
