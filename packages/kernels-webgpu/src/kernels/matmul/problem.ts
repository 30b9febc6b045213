import { type MatmulOptions, type Tensor, sizeOf } from '@rr/tensor';

/**
 * A matmul as the kernels see it: C[z] = op(A[z]) op(B[z]) for z < batch, with row strides (ld*)
 * and batch strides of the stored matrices in elements (bBatch 0: one B shared by every z).
 * Transposes are folded into the indexing, never materialised.
 */
export interface MatmulProblem {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  lda: number;
  ldb: number;
  ldc: number;
  aBatch: number;
  bBatch: number;
  cBatch: number;
}

/** Dense row-major operands: the row strides and batch strides of op(A) [m, k] times op(B) [k, n]. */
export function stridedProblem(d: { batch: number; m: number; n: number; k: number; transA: boolean; transB: boolean; bBatched: boolean }): MatmulProblem {
  const { batch, m, n, k, transA, transB } = d;
  return { batch, m, n, k, transA, transB, lda: transA ? m : k, ldb: transB ? k : n, ldc: n, aBatch: m * k, bBatch: d.bBatched ? k * n : 0, cBatch: m * n };
}

/** The problem for Backend.matmul's operands; a shared B with an untransposed A folds the batch into M. */
export function matmulProblem(a: Tensor, b: Tensor, options: MatmulOptions): { problem: MatmulProblem; outShape: number[] } {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const m = a.shape[a.rank - (transA ? 1 : 2)]!;
  const k = a.shape[a.rank - (transA ? 2 : 1)]!;
  const n = b.shape[b.rank - (transB ? 2 : 1)]!;
  const batchShape = a.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  const bBatched = b.rank > 2;
  // a shared B with an untransposed A: the batch's rows are one tall A (strides stay per matrix)
  const fold = !bBatched && !transA;
  const problem = { ...stridedProblem({ batch, m, n, k, transA, transB, bBatched }), ...(fold ? { batch: 1, m: m * batch } : {}) };
  return { problem, outShape: [...batchShape, m, n] };
}

/** One dispatch's block of the problem: batches [z0, z0 + zCount), rows, columns and a slice of the reduction. */
export interface MatmulBlock {
  z0: number;
  zCount: number;
  m0: number;
  mCount: number;
  n0: number;
  nCount: number;
  k0: number;
  kCount: number;
}

/** Element offsets of a block's first element, and of its last + 1, in each stored operand. */
export function blockExtents(p: MatmulProblem, blk: MatmulBlock): { a: [number, number]; b: [number, number]; c: [number, number] } {
  const extent = (batchStride: number, ld: number, r0: number, rows: number, c0: number, cols: number): [number, number] => {
    const first = blk.z0 * batchStride + r0 * ld + c0;
    return [first, (blk.z0 + blk.zCount - 1) * batchStride + (r0 + rows - 1) * ld + c0 + cols];
  };
  return {
    a: p.transA ? extent(p.aBatch, p.lda, blk.k0, blk.kCount, blk.m0, blk.mCount) : extent(p.aBatch, p.lda, blk.m0, blk.mCount, blk.k0, blk.kCount),
    b: p.transB ? extent(p.bBatch, p.ldb, blk.n0, blk.nCount, blk.k0, blk.kCount) : extent(p.bBatch, p.ldb, blk.k0, blk.kCount, blk.n0, blk.nCount),
    c: extent(p.cBatch, p.ldc, blk.m0, blk.mCount, blk.n0, blk.nCount),
  };
}

/** The bindings every matmul kernel shares: C = A B, as vec4 or scalar elements of the float type. */
export function matmulSignature(vec4: boolean) {
  const element = vec4 ? 'vec4<F>' : 'F';
  return {
    params: {
      M: 'u32',
      N: 'u32',
      K: 'u32',
      lda: 'u32',
      ldb: 'u32',
      ldc: 'u32',
      a_base: 'u32',
      b_base: 'u32',
      c_base: 'u32',
      a_batch: 'u32',
      b_batch: 'u32',
      c_batch: 'u32',
      accumulate: 'u32',
    },
    read: { A: element, B: element },
    write: { C: element },
  } as const;
}

export function matmulParams(p: MatmulProblem, blk: MatmulBlock, bases: { a: number; b: number; c: number }, accumulate: boolean) {
  return {
    M: blk.mCount,
    N: blk.nCount,
    K: blk.kCount,
    lda: p.lda,
    ldb: p.ldb,
    ldc: p.ldc,
    a_base: bases.a,
    b_base: bases.b,
    c_base: bases.c,
    a_batch: p.aBatch,
    b_batch: p.bBatch,
    c_batch: p.cBatch,
    accumulate: accumulate ? 1 : 0,
  };
}
