import type { FloatArray } from './types.js';

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
  /**
   * The product is known to be symmetric (m = n; a Gram matrix, or a power of a symmetric
   * matrix): only the entries on and above the diagonal are computed, the rest copied from there
   * (`mirrorUpper`). Not with `accumulate`, whose old C need not be symmetric.
   */
  symmetric?: boolean;
}

/** Square tiles of the mirror copy: a tile's rows and the source tile's columns stay in L1. */
const MIRROR_TILE = 32;

/** C(i, j) <- C(j, i) for j < i in each batch entry: the lower triangle copied from the upper. */
export function mirrorUpper(out: FloatArray, s: MatmulShape): void {
  const { batch, m } = s;
  for (let z = 0; z < batch; z++) {
    const off = z * (s.cStride ?? m * m);
    for (let i0 = 0; i0 < m; i0 += MIRROR_TILE) {
      const i1 = Math.min(m, i0 + MIRROR_TILE);
      for (let j0 = 0; j0 <= i0; j0 += MIRROR_TILE) {
        for (let i = i0; i < i1; i++) {
          const j1 = Math.min(i, j0 + MIRROR_TILE);
          for (let j = j0; j < j1; j++) out[off + i * m + j] = out[off + j * m + i]!;
        }
      }
    }
  }
}

/**
 * Plain TypeScript matmul: the reference path (f64, and f32 where WebAssembly is unavailable).
 * Accumulates each output row in f64. With transB the inner loop is a contiguous dot product;
 * without, a contiguous axpy over a row of b.
 */
export function matmulPlain(a: FloatArray, b: FloatArray, out: FloatArray, s: MatmulShape): void {
  const { batch, m, n, k, transA, transB, bBatched } = s;
  const add = s.accumulate === true;
  const symmetric = s.symmetric === true && m === n && !add;
  const acc = new Float64Array(n);
  for (let z = 0; z < batch; z++) {
    const aOff = z * (s.aStride ?? m * k);
    const bOff = bBatched ? z * (s.bStride ?? k * n) : 0;
    const oOff = z * (s.cStride ?? m * n);
    for (let i = 0; i < m; i++) {
      if (transB) {
        for (let j = symmetric ? i : 0; j < n; j++) {
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
          for (let j = symmetric ? i : 0; j < n; j++) acc[j] += aip * b[bRow + j]!;
        }
        for (let j = symmetric ? i : 0; j < n; j++) out[oOff + i * n + j] = add ? out[oOff + i * n + j]! + acc[j]! : acc[j]!;
      }
    }
  }
  if (symmetric) mirrorUpper(out, s);
}
