import type { MatmulShape } from './matmul.js';
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
 * threads): `out = a @ b` over `s.batch` matrices, as `matmulPlain` computes it.
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
  if (mm && q instanceof Float32Array && k instanceof Float32Array && v instanceof Float32Array && out instanceof Float32Array && lse instanceof Float32Array && dOut instanceof Float32Array) {
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
// of a training step at sequence lengths of a few hundred. Here each (batch, kv head) pair is a
// few matmuls on the backend's SIMD matmul: its `group` query heads share keys and values, so
// their query rows are stacked into one [group * tq, headDim] matrix (row j * tq + i = head
// g * group + j, query i). The matmuls compute the full kvLength square, twice the causal work,
// which is still far faster than skipping the masked half in scalar code. Scores live in f32
// (the row path accumulates them in f64); both stay well within the f32 conformance tolerance.

/** Floats of score matrices per chunk of pairs (16 MiB): bounds memory at long sequences. */
const SCRATCH_FLOATS = 1 << 22;

interface Pairs {
  group: number;
  /** Stacked query rows per pair: group * tq. */
  rows: number;
  /** batch * nKvHeads. */
  count: number;
  /** Pairs per chunk. */
  chunk: number;
}

function pairsOf(d: AttentionDims, scoreMatrices: number, scratchFloats: number): Pairs {
  const group = d.nHeads / d.nKvHeads;
  const rows = group * d.tq;
  const count = d.batch * d.nKvHeads;
  const chunk = Math.max(1, Math.min(count, Math.floor(scratchFloats / (scoreMatrices * rows * d.kvLength))));
  return { group, rows, count, chunk };
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

/** Index into lse ([B, H, tq]) of stacked row r of pair p. */
function lseIndex(d: AttentionDims, group: number, p: number, r: number): number {
  const b = Math.floor(p / d.nKvHeads);
  const h = (p % d.nKvHeads) * group + Math.floor(r / d.tq);
  return (b * d.nHeads + h) * d.tq + (r % d.tq);
}

/** `scratchFloats` is a parameter so that tests can force several chunks on small shapes. */
export function attentionBlocked(q: Float32Array, k: Float32Array, v: Float32Array, d: AttentionDims, mm: MatmulFn, scratchFloats = SCRATCH_FLOATS): { out: FloatArray; lse: FloatArray } {
  const out = like(q, q.length) as Float32Array;
  const lse = like(q, d.batch * d.nHeads * d.tq) as Float32Array;
  const { group, rows, count, chunk } = pairsOf(d, 1, scratchFloats);
  const [L, hd] = [d.kvLength, d.headDim];
  // scratch next to the operands (the SIMD matmul's heap when q lives there): no copies per call
  const scratch = (n: number): Float32Array => like(q, n) as Float32Array;
  const qs = scratch(chunk * rows * hd);
  const ks = scratch(chunk * L * hd);
  const vs = scratch(chunk * L * hd);
  const os = scratch(chunk * rows * hd);
  const probs = scratch(chunk * rows * L);
  for (let first = 0; first < count; first += chunk) {
    const n = Math.min(chunk, count - first);
    moveQueryRows(q, qs, d, first, n, true);
    moveKvRows(k, ks, d, first, n, true);
    moveKvRows(v, vs, d, first, n, true);
    mm(qs, ks, probs, { batch: n, m: rows, n: L, k: hd, transA: false, transB: true, bBatched: true });
    for (let c = 0; c < n; c++) {
      for (let r = 0; r < rows; r++) {
        const off = (c * rows + r) * L;
        const last = L - d.tq + (r % d.tq);
        let max = -Infinity;
        for (let t = 0; t <= last; t++) max = Math.max(max, probs[off + t]! * d.scale);
        let sum = 0;
        for (let t = 0; t <= last; t++) {
          const e = Math.exp(probs[off + t]! * d.scale - max);
          probs[off + t] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let t = 0; t <= last; t++) probs[off + t] = probs[off + t]! * inv;
        probs.fill(0, off + last + 1, off + L);
        lse[lseIndex(d, group, first + c, r)] = max + Math.log(sum);
      }
    }
    mm(probs, vs, os, { batch: n, m: rows, n: hd, k: L, transA: false, transB: false, bBatched: true });
    moveQueryRows(out, os, d, first, n, false);
  }
  for (const x of [qs, ks, vs, os, probs]) discard(x);
  return { out, lse };
}

/**
 * The row path's formulas per pair, as matmuls: P = exp(S - lse) (masked), dV = P^T dO,
 * dP = dO V^T, dS = P (dP - rowDot) scale, dQ = dS K, dK = dS^T Q. Grouped query heads add
 * into their shared dK and dV through the stacked rows.
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
  const { group, rows, count, chunk } = pairsOf(d, 2, scratchFloats);
  const [L, hd] = [d.kvLength, d.headDim];
  const scratch = (n: number): Float32Array => like(q, n) as Float32Array;
  const qs = scratch(chunk * rows * hd);
  const dos = scratch(chunk * rows * hd);
  const rowWork = scratch(chunk * rows * hd); // the outputs O, then dQ
  const ks = scratch(chunk * L * hd);
  const vs = scratch(chunk * L * hd);
  const dks = scratch(chunk * L * hd);
  const dvs = scratch(chunk * L * hd);
  const probs = scratch(chunk * rows * L);
  const dProbs = scratch(chunk * rows * L);
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
    mm(qs, ks, probs, { batch: n, m: rows, n: L, k: hd, transA: false, transB: true, bBatched: true });
    for (let c = 0; c < n; c++) {
      for (let r = 0; r < rows; r++) {
        const off = (c * rows + r) * L;
        const last = L - d.tq + (r % d.tq);
        const l = lse[lseIndex(d, group, first + c, r)]!;
        for (let t = 0; t <= last; t++) probs[off + t] = Math.exp(probs[off + t]! * d.scale - l);
        probs.fill(0, off + last + 1, off + L);
      }
    }
    mm(probs, dos, dvs, { batch: n, m: L, n: hd, k: rows, transA: true, transB: false, bBatched: true });
    mm(dos, vs, dProbs, { batch: n, m: rows, n: L, k: hd, transA: false, transB: true, bBatched: true });
    for (let r = 0; r < n * rows; r++) {
      const off = r * L;
      const dot = rowDot[r]!;
      for (let t = 0; t < L; t++) dProbs[off + t] = probs[off + t]! * (dProbs[off + t]! - dot) * d.scale;
    }
    mm(dProbs, ks, rowWork, { batch: n, m: rows, n: hd, k: L, transA: false, transB: false, bBatched: true });
    mm(dProbs, qs, dks, { batch: n, m: L, n: hd, k: rows, transA: true, transB: false, bBatched: true });
    moveQueryRows(dq, rowWork, d, first, n, false);
    moveKvRows(dk, dks, d, first, n, false);
    moveKvRows(dv, dvs, d, first, n, false);
  }
  for (const x of [qs, dos, rowWork, ks, vs, dks, dvs, probs, dProbs]) discard(x);
  return { dq, dk, dv };
}
