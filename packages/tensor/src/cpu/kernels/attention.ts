import { type FloatArray, like } from './types.js';

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
 * Causal GQA attention, row by row in f64: the reference (f64 gradient checks, and f32 where the
 * fused WebAssembly kernels of wasm/attention.ts cannot run).
 */
export function attention(q: FloatArray, k: FloatArray, v: FloatArray, d: AttentionDims): { out: FloatArray; lse: FloatArray } {
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
): { dq: FloatArray; dk: FloatArray; dv: FloatArray } {
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
