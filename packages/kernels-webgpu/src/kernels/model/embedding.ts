import type { Tensor } from '@rr/tensor';
import type { KernelContext } from '../../kernel.js';
import { sortLength, sortPairs } from './bitonic-sort.js';
import { type RowShard, rowShards, shardOf } from '../shards.js';
import { BUILTINS, WORKGROUP_INDEX, defineKernel, variantOf } from '../wgsl.js';

/**
 * Embedding lookup and its backward.
 *
 * Forward: a gather, one invocation per output element. Ids outside [0, V) give zero rows (the
 * device cannot throw; the CPU backend does).
 *
 * Backward: a scatter-add of dy [N, D] into dTable [V, D] where repeated ids accumulate. WGSL has
 * no float atomics, and a CAS loop on u32 bit patterns would make the sum's order (so its bits)
 * change from run to run, while one invocation per (vocab row, column) scanning all N ids is
 * O(V * N * D): 128k * 4k * 2k. Instead:
 *   1. pairs (id, position) for every token, padded to a power of two;
 *   2. a bitonic sort of the pairs (deterministic, O(N log^2 N), see bitonic-sort.ts): equal ids
 *      become one run, in position order;
 *   3. one invocation per (sorted token, column): the one at the start of a run sums dy over the
 *      run in position order and writes that row of dTable; every other returns at once.
 * The sum is deterministic (same order every run); the work is O(N log^2 N + N * D) plus zeroing
 * dTable, whose rows for ids that do not occur must be 0 anyway.
 *
 * Large tables are bound in row shards of the vocabulary (a 128k x 2048 f32 table is 1 GiB), and
 * large token batches in shards of tokens; a row of dTable then accumulates one partial sum per
 * token shard, still in a fixed order.
 */

const WG = 256;

const GATHER = defineKernel(
  'model/embedding',
  {
    params: { n: 'u32', dim: 'u32', vocab: 'u32', vocabStart: 'u32', vocabCount: 'u32' },
    read: { ids: 'i32', table: 'F' },
    write: { out: 'F' },
  },
  () => `
${WORKGROUP_INDEX}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let e = workgroup_index(wid, nwg) * ${WG}u + lid;
  if (e >= p.n) { return; }
  let id = ids[e / p.dim];
  let row = id - i32(p.vocabStart);
  if (row >= 0 && u32(row) < p.vocabCount) {
    out[e] = table[u32(row) * p.dim + e % p.dim];
  } else if (p.vocabStart == 0u && (id < 0 || u32(id) >= p.vocab)) {
    out[e] = F(0.0);
  }
}`,
);

/** (id, position) pairs; the padding sorts last. */
const PAIRS = defineKernel(
  'model/embedding-backward-pairs',
  { params: { n: 'u32', length: 'u32' }, read: { ids: 'i32' }, write: { pairs: 'vec2<u32>' } },
  () => `
${WORKGROUP_INDEX}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let s = workgroup_index(wid, nwg) * ${WG}u + lid;
  if (s >= p.length) { return; }
  // a negative id becomes >= 2^31: it sorts after every valid id and is skipped below
  pairs[s] = select(vec2<u32>(0xffffffffu), vec2<u32>(bitcast<u32>(ids[s]), s), s < p.n);
}`,
);

const RUN_SUM = defineKernel(
  'model/embedding-backward-runs',
  {
    params: { n: 'u32', dim: 'u32', vocabStart: 'u32', vocabCount: 'u32', tokenStart: 'u32', tokenCount: 'u32' },
    read: { pairs: 'vec2<u32>', dy: 'F' },
    write: { dTable: 'F' },
  },
  () => `
${WORKGROUP_INDEX}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let e = workgroup_index(wid, nwg) * ${WG}u + lid;
  if (e >= p.n * p.dim) { return; }
  let s = e / p.dim;
  let col = e % p.dim;
  let id = pairs[s].x;
  if (s > 0u && pairs[s - 1u].x == id) { return; }       // not the first of its run
  let row = id - p.vocabStart;                           // wraps for id < vocabStart: fails the test below
  if (row >= p.vocabCount) { return; }
  var sum = 0.0;
  for (var t = s; t < p.n && pairs[t].x == id; t++) {
    let token = pairs[t].y - p.tokenStart;
    if (token < p.tokenCount) { sum += f32(dy[token * p.dim + col]); }
  }
  let at = row * p.dim + col;
  dTable[at] = F(f32(dTable[at]) + sum);                 // dTable starts at zero; token shards add up in order
}`,
);

export function embedding(ctx: KernelContext, ids: Tensor, table: Tensor): Tensor {
  const [vocab, dim] = table.shape as [number, number];
  const out = ctx.output([...ids.shape, dim], table.dtype);
  const variant = variantOf(table);
  for (const v of rowShards(ctx, 'embedding (table)', vocab, [{ rowElements: dim, dtype: table.dtype }])) {
    for (const t of tokenShards(ctx, 'embedding (output)', ids.size, dim, out)) {
      GATHER.run(ctx, {
        params: { n: t.count * dim, dim, vocab, vocabStart: v.start, vocabCount: v.count },
        read: { ids: shardOf(ids, 1, t), table: shardOf(table, dim, v) },
        write: { out: shardOf(out, dim, t) },
        workgroups: ctx.grid1d(t.count * dim, WG),
        variant,
      });
    }
  }
  return out;
}

export function embeddingBackward(ctx: KernelContext, ids: Tensor, dy: Tensor, vocabSize: number): Tensor {
  const n = ids.size;
  const dim = dy.shape[dy.rank - 1]!;
  const dTable = ctx.output([vocabSize, dim], dy.dtype, { zero: true });
  if (n === 0 || dim === 0) return dTable;
  const variant = variantOf(dy);
  const length = sortLength(n);
  const pairs = ctx.output([length, 2], 'u32');
  PAIRS.run(ctx, { params: { n, length }, read: { ids }, write: { pairs }, workgroups: ctx.grid1d(length, WG), variant });
  sortPairs(ctx, pairs);
  for (const v of rowShards(ctx, 'embeddingBackward (dTable)', vocabSize, [{ rowElements: dim, dtype: dy.dtype }])) {
    for (const t of tokenShards(ctx, 'embeddingBackward (dy)', n, dim, dy)) {
      RUN_SUM.run(ctx, {
        params: { n, dim, vocabStart: v.start, vocabCount: v.count, tokenStart: t.start, tokenCount: t.count },
        read: { pairs, dy: shardOf(dy, dim, t) },
        write: { dTable: shardOf(dTable, dim, v) },
        workgroups: ctx.grid1d(n * dim, WG),
        variant,
      });
    }
  }
  pairs.dispose();
  return dTable;
}

/** Shards of tokens: the [N, D] activation side and the N ids together. */
function tokenShards(ctx: KernelContext, what: string, n: number, dim: number, rows: Tensor): RowShard[] {
  return rowShards(ctx, what, n, [
    { rowElements: dim, dtype: rows.dtype },
    { rowElements: 1, dtype: 'i32' },
  ]);
}
