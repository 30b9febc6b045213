/**
 * Causal grouped-query attention on matmul.wat's fused kernels, on the matmul's threads.
 *
 * Each query row is scored, exponentiated and multiplied into its output while its keys and
 * values sit in L1, with the row's scores in the thread's workspace: no T x T matrix is stored
 * and the masked half of the square is never computed. The forward splits the work by blocks of
 * query rows; the backward by (batch entry, kv head), so that the dK and dV rows a group of query
 * heads adds into belong to one thread.
 */
import type { AttentionDims } from '../kernels/attention.js';
import { JOB_FIELDS, type WasmMatmul } from './matmul.js';

/** Byte offsets of the attention fields in the job descriptor (documented at $attention_chunk in matmul.wat). */
const A = {
  q: 152,
  k: 156,
  v: 160,
  out: 164,
  lse: 168,
  dOut: 172,
  dq: 176,
  dk: 180,
  dv: 184,
  rowMax: 188,
  tq: 192,
  s: 196,
  kvLength: 200,
  nHeads: 204,
  nKvHeads: 208,
  headDim: 212,
  scale: 216,
  rowsPerChunk: 220,
  rowChunks: 224,
} as const;
type ArrayField = 'q' | 'k' | 'v' | 'out' | 'lse' | 'dOut' | 'dq' | 'dk' | 'dv' | 'rowMax';
const FORWARD = 1;
const BACKWARD = 2;
/** Forward chunks per thread: rows late in the sequence see more keys, so a few per thread balance them. */
const CHUNKS_PER_THREAD = 8;

/**
 * Whether the fused kernels can take these arrays: f32 in the pool's heap, head dimension a
 * multiple of 4 (four-float vectors), and a row of scores that fits a thread's workspace.
 */
export function fusedAttentionFits(pool: WasmMatmul, d: AttentionDims, ...xs: Float32Array[]): boolean {
  return d.headDim % 4 === 0 && 8 * d.kvLength <= pool.workspaceFloats && xs.every((x) => pool.heap.address(x) !== undefined);
}

/** The job descriptor of one attention kernel: its kind, chunk count, arrays and dimensions. */
function writeJob(job: DataView, pool: WasmMatmul, kind: number, chunks: number, arrays: Partial<Record<ArrayField, Float32Array>>, d: AttentionDims): void {
  const int = (field: number, value: number): void => job.setInt32(field, value, true);
  int(JOB_FIELDS.kind, kind);
  int(JOB_FIELDS.chunks, chunks);
  for (const [name, x] of Object.entries(arrays)) int(A[name as ArrayField], pool.heap.address(x)!);
  int(A.tq, d.tq);
  int(A.s, d.s);
  int(A.kvLength, d.kvLength);
  int(A.nHeads, d.nHeads);
  int(A.nKvHeads, d.nKvHeads);
  int(A.headDim, d.headDim);
  job.setFloat32(A.scale, d.scale, true);
}

function macs(d: AttentionDims): number {
  return d.batch * d.nHeads * d.tq * d.kvLength * d.headDim;
}

/** Forward: out [B, tq, H * hd] and the log-sum-exp per query row, lse [B, H, tq]. Check `fusedAttentionFits` first. */
export function fusedAttention(
  pool: WasmMatmul,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  d: AttentionDims,
): { out: Float32Array; lse: Float32Array } {
  const heap = pool.heap;
  const rows = d.batch * d.nHeads * d.tq;
  const out = heap.alloc(q.length);
  const lse = heap.alloc(rows);
  const rowMax = heap.alloc(rows);
  if (!out || !lse || !rowMax) throw new RangeError('wasm attention: out of wasm memory');
  try {
    const heads = d.batch * d.nHeads;
    const rowsPerChunk = Math.max(1, Math.min(d.tq, Math.ceil((heads * d.tq) / (pool.threads * CHUNKS_PER_THREAD))));
    const rowChunks = Math.ceil(d.tq / rowsPerChunk);
    pool.runJob((job) => {
      writeJob(job, pool, FORWARD, heads * rowChunks, { q, k, v, out, lse, rowMax }, d);
      job.setInt32(A.rowsPerChunk, rowsPerChunk, true);
      job.setInt32(A.rowChunks, rowChunks, true);
    }, macs(d));
    // the kernel leaves each row's sum of exponentials in lse: wasm has no log
    for (let i = 0; i < rows; i++) lse[i] = rowMax[i]! + Math.log(lse[i]!);
  } finally {
    heap.free(rowMax);
  }
  return { out, lse };
}

/** Backward: dq, dk, dv from the forward's out and lse and the output gradient. Check `fusedAttentionFits` first. */
export function fusedAttentionBackward(
  pool: WasmMatmul,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  out: Float32Array,
  lse: Float32Array,
  dOut: Float32Array,
  d: AttentionDims,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const heap = pool.heap;
  // zeroed by alloc: the kernel adds into them
  const dq = heap.alloc(q.length);
  const dk = heap.alloc(k.length);
  const dv = heap.alloc(v.length);
  if (!dq || !dk || !dv) throw new RangeError('wasm attention: out of wasm memory');
  pool.runJob((job) => {
    writeJob(job, pool, BACKWARD, d.batch * d.nKvHeads, { q, k, v, out, lse, dOut, dq, dk, dv }, d);
  }, macs(d));
  return { dq, dk, dv };
}
