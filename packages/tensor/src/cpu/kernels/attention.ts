import type { MatmulShape } from './matmul.js';
import { heapOf } from '../wasm/heap.js';
import { type FloatArray, discard, like } from './types.js';

export interface AttentionDims {
  batch: number;
  tq: number;
  /** Key/value capacity along the sequence axis. */
  s: number;
  kvLength: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  scale: number;
}

/**
 * Visits every (batch, head, query) row with the offsets the forward and backward share. Query i
 * sits at absolute position kvLength - tq + i and sees keys 0..that position.
 */
function forEachRow(d: AttentionDims, fn: (qOff: number, kvBase: number, kvStride: number, last: number, lseIndex: number) => void): void {
  const group = d.nHeads / d.nKvHeads;
  const qStride = d.nHeads * d.headDim;
  const kvStride = d.nKvHeads * d.headDim;
  for (let b = 0; b < d.batch; b++) {
    for (let h = 0; h < d.nHeads; h++) {
      const kvBase = b * d.s * kvStride + Math.floor(h / group) * d.headDim;
      for (let i = 0; i < d.tq; i++) {
        fn((b * d.tq + i) * qStride + h * d.headDim, kvBase, kvStride, d.kvLength - d.tq + i, (b * d.nHeads + h) * d.tq + i);
      }
    }
  }
}

/** One row of scaled scores q . k_j for j <= last, into `scores`. */
function scoreRow(q: FloatArray, k: FloatArray, qOff: number, kvBase: number, kvStride: number, last: number, d: AttentionDims, scores: Float64Array): void {
  for (let j = 0; j <= last; j++) {
    let dot = 0;
    const kOff = kvBase + j * kvStride;
    for (let c = 0; c < d.headDim; c++) dot += q[qOff + c]! * k[kOff + c]!;
    scores[j] = dot * d.scale;
  }
}

/**
 * A batched f32 matmul the backend lends to the kernels (the WebAssembly SIMD one on worker
 * threads): `out = a @ b` (or `+=` with `s.accumulate`) over `s.batch` matrices, possibly
 * strided, as `matmulPlain` computes it.
 */
export type MatmulFn = (a: Float32Array, b: Float32Array, out: Float32Array, s: MatmulShape) => void;

/**
 * Causal GQA attention. With `mm` and f32 inputs the scores and outputs are computed as batched
 * matmuls (`attentionBlocked`); otherwise row by row in f64 (the reference path, f64 gradchecks).
 */
export function attention(q: FloatArray, k: FloatArray, v: FloatArray, d: AttentionDims, mm?: MatmulFn): { out: FloatArray; lse: FloatArray } {
  if (mm && q instanceof Float32Array && k instanceof Float32Array && v instanceof Float32Array) return attentionBlocked(q, k, v, d, mm);
  const out = like(q, q.length);
  const lse = like(q, d.batch * d.nHeads * d.tq);
  const scores = new Float64Array(d.s);
  const acc = new Float64Array(d.headDim);
  forEachRow(d, (qOff, kvBase, kvStride, last, lseIndex) => {
    scoreRow(q, k, qOff, kvBase, kvStride, last, d, scores);
    let max = -Infinity;
    for (let j = 0; j <= last; j++) max = Math.max(max, scores[j]!);
    let sum = 0;
    acc.fill(0);
    for (let j = 0; j <= last; j++) {
      const p = Math.exp(scores[j]! - max);
      sum += p;
      const vOff = kvBase + j * kvStride;
      for (let c = 0; c < d.headDim; c++) acc[c] += p * v[vOff + c]!;
    }
    for (let c = 0; c < d.headDim; c++) out[qOff + c] = acc[c]! / sum;
    lse[lseIndex] = max + Math.log(sum);
  });
  return { out, lse };
}

/**
 * With P = softmax(S) recomputed from the saved lse:  dV_j += P_ij dO_i;
 * dS_ij = P_ij (dO_i . v_j - dO_i . O_i);  dQ_i += scale dS_ij k_j;  dK_j += scale dS_ij q_i.
 */
export function attentionBackward(
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  out: FloatArray,
  lse: FloatArray,
  dOut: FloatArray,
  d: AttentionDims,
  mm?: MatmulFn,
): { dq: FloatArray; dk: FloatArray; dv: FloatArray } {
  if (
    mm &&
    q instanceof Float32Array &&
    k instanceof Float32Array &&
    v instanceof Float32Array &&
    out instanceof Float32Array &&
    lse instanceof Float32Array &&
    dOut instanceof Float32Array
  ) {
    return attentionBackwardBlocked(q, k, v, out, lse, dOut, d, mm);
  }
  const dq = like(q, q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  const scores = new Float64Array(d.s);
  const dqRow = new Float64Array(d.headDim);
  forEachRow(d, (qOff, kvBase, kvStride, last, lseIndex) => {
    scoreRow(q, k, qOff, kvBase, kvStride, last, d, scores);
    dqRow.fill(0);
    let rowDot = 0;
    for (let c = 0; c < d.headDim; c++) rowDot += dOut[qOff + c]! * out[qOff + c]!;
    const l = lse[lseIndex]!;
    for (let j = 0; j <= last; j++) {
      const p = Math.exp(scores[j]! - l);
      const kvOff = kvBase + j * kvStride;
      let dp = 0;
      for (let c = 0; c < d.headDim; c++) {
        dp += dOut[qOff + c]! * v[kvOff + c]!;
        dv[kvOff + c] += p * dOut[qOff + c]!;
      }
      const ds = p * (dp - rowDot) * d.scale;
      for (let c = 0; c < d.headDim; c++) {
        dqRow[c] += ds * k[kvOff + c]!;
        dk[kvOff + c] += ds * q[qOff + c]!;
      }
    }
    for (let c = 0; c < d.headDim; c++) dq[qOff + c] = dqRow[c]!;
  });
  const dkOut = like(k, k.length);
  const dvOut = like(v, v.length);
  dkOut.set(dk);
  dvOut.set(dv);
  return { dq, dk: dkOut, dv: dvOut };
}

// ---- blocked path: the T x T work as batched matmuls, the softmax in TypeScript ---------------
//
// Row by row, attention is scalar TypeScript at well under 1 GFLOP/s, and it is the largest cost
// of a training step at sequence lengths of a few hundred. Here each (batch, kv head) pair's
// `group` query heads share keys and values, so their query rows are stacked into one
// [group * tq, headDim] matrix per pair (row j * tq + i = head g * group + j, query i), and the
// queries are cut into blocks of `blockRows` positions. One block of one head, across every pair
// of a chunk, is one strided batched matmul against only the keys that block can see: causal
// masking skips the blocks above the diagonal (about half the square at a few blocks per
// sequence) while every call stays big enough for the SIMD matmul's threads. Scores live in f32
// (the row path accumulates them in f64); both stay well within the f32 conformance tolerance.

/** Floats of score matrices per chunk of pairs (16 MiB): bounds memory at long sequences. */
const SCRATCH_FLOATS = 1 << 22;
/** Query blocks per sequence: more skip more of the masked half, each costs a few matmul calls. */
const QUERY_BLOCKS = 8;
/** Fewer rows than this per block make matmul calls too small to be worth their overhead. */
const MIN_BLOCK_ROWS = 16;

interface Pairs {
  group: number;
  /** Stacked query rows per pair: group * tq. */
  rows: number;
  /** batch * nKvHeads. */
  count: number;
  /** Pairs per chunk. */
  chunk: number;
  /** Query positions per block. */
  blockRows: number;
}

function pairsOf(d: AttentionDims, scoreMatrices: number, scratchFloats: number): Pairs {
  const group = d.nHeads / d.nKvHeads;
  const rows = group * d.tq;
  const count = d.batch * d.nKvHeads;
  const blockRows = Math.min(d.tq, Math.max(MIN_BLOCK_ROWS, Math.ceil(d.tq / QUERY_BLOCKS)));
  const chunk = Math.max(1, Math.min(count, Math.floor(scratchFloats / (scoreMatrices * blockRows * d.kvLength))));
  return { group, rows, count, chunk, blockRows };
}

/** One block of query positions [i0, i0 + m) of one head: the keys it sees are 0..keys-1. */
interface QueryBlock {
  /** First stacked row of the block within a pair (j * tq + i0). */
  row: number;
  i0: number;
  m: number;
  keys: number;
}

function* queryBlocks(d: AttentionDims, p: Pairs): Generator<QueryBlock> {
  for (let j = 0; j < p.group; j++) {
    for (let i0 = 0; i0 < d.tq; i0 += p.blockRows) {
      const m = Math.min(p.blockRows, d.tq - i0);
      yield { row: j * d.tq + i0, i0, m, keys: d.kvLength - d.tq + i0 + m };
    }
  }
}

/**
 * Moves query-shaped rows ([B, tq, H * hd]) of pairs first..first+n-1 into the stacked layout
 * [n, group * tq, hd] (`toStacked`), or back.
 */
function moveQueryRows(x: Float32Array, stacked: Float32Array, d: AttentionDims, first: number, n: number, toStacked: boolean): void {
  const group = d.nHeads / d.nKvHeads;
  const hd = d.headDim;
  const stride = d.nHeads * hd;
  for (let c = 0; c < n; c++) {
    const b = Math.floor((first + c) / d.nKvHeads);
    const g = (first + c) % d.nKvHeads;
    for (let j = 0; j < group; j++) {
      for (let i = 0; i < d.tq; i++) {
        const xOff = (b * d.tq + i) * stride + (g * group + j) * hd;
        const sOff = ((c * group + j) * d.tq + i) * hd;
        if (toStacked) for (let e = 0; e < hd; e++) stacked[sOff + e] = x[xOff + e]!;
        else for (let e = 0; e < hd; e++) x[xOff + e] = stacked[sOff + e]!;
      }
    }
  }
}

/** Moves the first kvLength positions of key/value rows ([B, S, Hkv * hd]) to/from [n, kvLength, hd]. */
function moveKvRows(x: Float32Array, stacked: Float32Array, d: AttentionDims, first: number, n: number, toStacked: boolean): void {
  const hd = d.headDim;
  const stride = d.nKvHeads * hd;
  for (let c = 0; c < n; c++) {
    const b = Math.floor((first + c) / d.nKvHeads);
    const g = (first + c) % d.nKvHeads;
    for (let t = 0; t < d.kvLength; t++) {
      const xOff = (b * d.s + t) * stride + g * hd;
      const sOff = (c * d.kvLength + t) * hd;
      if (toStacked) for (let e = 0; e < hd; e++) stacked[sOff + e] = x[xOff + e]!;
      else for (let e = 0; e < hd; e++) x[xOff + e] = stacked[sOff + e]!;
    }
  }
}

/**
 * x[start..end) = e^(x * scale - shift) elementwise, returning the sum: the softmax's exponentials, in SIMD
 * when x lives in the WebAssembly heap (Math.exp is most of the softmax's time otherwise).
 */
function expShift(x: Float32Array, start: number, end: number, scale: number, shift: number): number {
  const heap = heapOf(x);
  if (heap) return heap.expShift(x, start, end, scale, shift);
  let sum = 0;
  for (let t = start; t < end; t++) {
    const e = Math.exp(x[t]! * scale - shift);
    x[t] = e;
    sum += e;
  }
  return sum;
}

/** Index into lse ([B, H, tq]) of query i of head j in pair p. */
function lseIndex(d: AttentionDims, group: number, p: number, j: number, i: number): number {
  const b = Math.floor(p / d.nKvHeads);
  const h = (p % d.nKvHeads) * group + j;
  return (b * d.nHeads + h) * d.tq + i;
}

/** `scratchFloats` is a parameter so that tests can force several chunks on small shapes. */
export function attentionBlocked(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  d: AttentionDims,
  mm: MatmulFn,
  scratchFloats = SCRATCH_FLOATS,
): { out: FloatArray; lse: FloatArray } {
  const out = like(q, q.length) as Float32Array;
  const lse = like(q, d.batch * d.nHeads * d.tq) as Float32Array;
  const pairs = pairsOf(d, 1, scratchFloats);
  const { group, rows, count, chunk } = pairs;
  const [L, hd] = [d.kvLength, d.headDim];
  // scratch next to the operands (the SIMD matmul's heap when q lives there): no copies per call
  const scratch = (n: number): Float32Array => like(q, n) as Float32Array;
  const qs = scratch(chunk * rows * hd);
  const ks = scratch(chunk * L * hd);
  const vs = scratch(chunk * L * hd);
  const os = scratch(chunk * rows * hd);
  const probs = scratch(chunk * pairs.blockRows * L);
  for (let first = 0; first < count; first += chunk) {
    const n = Math.min(chunk, count - first);
    moveQueryRows(q, qs, d, first, n, true);
    moveKvRows(k, ks, d, first, n, true);
    moveKvRows(v, vs, d, first, n, true);
    for (const blk of queryBlocks(d, pairs)) {
      const { m, keys } = blk;
      const rowsAt = (x: Float32Array): Float32Array => x.subarray(blk.row * hd);
      mm(rowsAt(qs), ks, probs, { batch: n, m, n: keys, k: hd, transA: false, transB: true, bBatched: true, aStride: rows * hd, bStride: L * hd });
      for (let c = 0; c < n; c++) {
        for (let r = 0; r < m; r++) {
          const off = (c * m + r) * keys;
          const i = blk.i0 + r;
          const last = L - d.tq + i;
          let max = -Infinity;
          for (let t = 0; t <= last; t++) {
            const x = probs[off + t]! * d.scale;
            if (x > max) max = x;
          }
          const sum = expShift(probs, off, off + last + 1, d.scale, max);
          const inv = 1 / sum;
          for (let t = 0; t <= last; t++) probs[off + t] = probs[off + t]! * inv;
          probs.fill(0, off + last + 1, off + keys);
          lse[lseIndex(d, group, first + c, Math.floor(blk.row / d.tq), i)] = max + Math.log(sum);
        }
      }
      mm(probs, vs, rowsAt(os), { batch: n, m, n: hd, k: keys, transA: false, transB: false, bBatched: true, bStride: L * hd, cStride: rows * hd });
    }
    moveQueryRows(out, os, d, first, n, false);
  }
  for (const x of [qs, ks, vs, os, probs]) discard(x);
  return { out, lse };
}

/**
 * The row path's formulas per pair and query block, as matmuls: P = exp(S - lse) (masked),
 * dV += P^T dO, dP = dO V^T, dS = P (dP - rowDot) scale, dQ = dS K, dK += dS^T Q. Grouped query
 * heads and later query blocks add into their shared dK and dV rows.
 */
export function attentionBackwardBlocked(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  out: Float32Array,
  lse: Float32Array,
  dOut: Float32Array,
  d: AttentionDims,
  mm: MatmulFn,
  scratchFloats = SCRATCH_FLOATS,
): { dq: FloatArray; dk: FloatArray; dv: FloatArray } {
  const dq = like(q, q.length) as Float32Array;
  const dk = like(k, k.length) as Float32Array;
  const dv = like(v, v.length) as Float32Array;
  const pairs = pairsOf(d, 2, scratchFloats);
  const { group, rows, count, chunk } = pairs;
  const [L, hd] = [d.kvLength, d.headDim];
  const scratch = (n: number): Float32Array => like(q, n) as Float32Array;
  const qs = scratch(chunk * rows * hd);
  const dos = scratch(chunk * rows * hd);
  const rowWork = scratch(chunk * rows * hd); // the outputs O, then dQ
  const ks = scratch(chunk * L * hd);
  const vs = scratch(chunk * L * hd);
  const dks = scratch(chunk * L * hd);
  const dvs = scratch(chunk * L * hd);
  const probs = scratch(chunk * pairs.blockRows * L);
  const dProbs = scratch(chunk * pairs.blockRows * L);
  const rowDot = new Float64Array(chunk * rows);
  for (let first = 0; first < count; first += chunk) {
    const n = Math.min(chunk, count - first);
    moveQueryRows(q, qs, d, first, n, true);
    moveQueryRows(dOut, dos, d, first, n, true);
    moveQueryRows(out, rowWork, d, first, n, true);
    moveKvRows(k, ks, d, first, n, true);
    moveKvRows(v, vs, d, first, n, true);
    for (let r = 0; r < n * rows; r++) {
      let dot = 0;
      for (let e = 0; e < hd; e++) dot += dos[r * hd + e]! * rowWork[r * hd + e]!;
      rowDot[r] = dot;
    }
    dks.fill(0);
    dvs.fill(0);
    for (const blk of queryBlocks(d, pairs)) {
      const { m, keys } = blk;
      const j = Math.floor(blk.row / d.tq);
      const rowsAt = (x: Float32Array): Float32Array => x.subarray(blk.row * hd);
      const perPair = { aStride: rows * hd, bStride: L * hd };
      // dV and dK have the same shape: (probabilities or their gradients)^T times this block's rows, summed over blocks.
      const intoKeys: MatmulShape = {
        batch: n,
        m: keys,
        n: hd,
        k: m,
        transA: true,
        transB: false,
        bBatched: true,
        bStride: rows * hd,
        cStride: L * hd,
        accumulate: true,
      };
      mm(rowsAt(qs), ks, probs, { batch: n, m, n: keys, k: hd, transA: false, transB: true, bBatched: true, ...perPair });
      for (let c = 0; c < n; c++) {
        for (let r = 0; r < m; r++) {
          const off = (c * m + r) * keys;
          const last = L - d.tq + blk.i0 + r;
          const l = lse[lseIndex(d, group, first + c, j, blk.i0 + r)]!;
          expShift(probs, off, off + last + 1, d.scale, l);
          probs.fill(0, off + last + 1, off + keys);
        }
      }
      mm(probs, rowsAt(dos), dvs, intoKeys);
      mm(rowsAt(dos), vs, dProbs, { batch: n, m, n: keys, k: hd, transA: false, transB: true, bBatched: true, ...perPair });
      for (let c = 0; c < n; c++) {
        for (let r = 0; r < m; r++) {
          const off = (c * m + r) * keys;
          const dot = rowDot[c * rows + blk.row + r]!;
          for (let t = 0; t < keys; t++) dProbs[off + t] = probs[off + t]! * (dProbs[off + t]! - dot) * d.scale;
        }
      }
      mm(dProbs, ks, rowsAt(rowWork), { batch: n, m, n: hd, k: keys, transA: false, transB: false, bBatched: true, bStride: L * hd, cStride: rows * hd });
      mm(dProbs, rowsAt(qs), dks, intoKeys);
    }
    moveQueryRows(dq, rowWork, d, first, n, false);
    moveKvRows(dk, dks, d, first, n, false);
    moveKvRows(dv, dvs, d, first, n, false);
  }
  for (const x of [qs, dos, rowWork, ks, vs, dks, dvs, probs, dProbs]) discard(x);
  return { dq, dk, dv };
}
