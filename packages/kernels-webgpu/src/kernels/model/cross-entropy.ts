import type { Tensor } from '@rr/tensor';
import type { KernelContext } from '../../kernel.js';
import { workgroupReduce } from './reduce.js';
import { rowShards, shardOf } from '../shards.js';
import { BUILTINS, NEG_BIG, WORKGROUP_INDEX, defineKernel, variantOf } from '../wgsl.js';

/**
 * Mean cross-entropy over the rows whose label is not `ignoreIndex`, fused with the log-softmax,
 * for logits [N, V] with V up to 128k+.
 *
 * Forward, three dispatches, never a second copy of the logits:
 *   1. one workgroup per (row, chunk of CHUNK columns) keeps an online (max, sum of exp) per
 *      invocation and merges them across the workgroup: per-chunk statistics [N, chunks]. Chunks
 *      give a GPU N * V / CHUNK workgroups even when N is small, and read the logits once.
 *   2. one invocation per row merges its chunks in order: lse = max + log(sum); the row's term
 *      lse - logit[label] and whether it counts;
 *   3. one workgroup sums the terms and counts (a fixed tree: deterministic): loss = sum / kept.
 * Backward: one workgroup counts the kept rows and forms dLoss / kept on the device (dLoss is a
 * device scalar: no readback), then one fused pass over the same (row, chunk) workgroups as the
 * forward writes (softmax - onehot(label)) * dLoss / kept, zero on ignored rows.
 *
 * lse is returned in f32 whatever the logits' dtype: the backward recomputes softmax as
 * exp(logit - lse), and an f16 lse (11 bits) would put ~lse * 2^-11 relative error into every
 * probability. The loss keeps the logits' dtype. Labels outside [0, V) that are not the ignore
 * index count as ignored (the device cannot throw; the CPU backend does).
 */

const WG = 256;
/** Columns per chunk-statistics workgroup: 8 per invocation. */
const CHUNK = 8 * WG;

/** Merges two (max, sum of exp(x - max)) pairs; NEG_BIG for "empty" keeps this free of inf - inf. */
const LSE_MERGE = 'vec2<f32>(max(a.x, b.x), a.y * exp(a.x - max(a.x, b.x)) + b.y * exp(b.x - max(a.x, b.x)))';
const mergeStats = workgroupReduce({ name: 'merge_stats', type: 'vec2<f32>', size: WG, combine: LSE_MERGE });
const sumPairs = workgroupReduce({ name: 'sum_pairs', type: 'vec2<f32>', size: WG, combine: 'a + b' });
const countU32 = workgroupReduce({ name: 'count_u32', type: 'u32', size: WG, combine: 'a + b' });

/** Whether row r's label counts (WGSL; expects `labels` and `p.ignoreIndex`, `p.vocab`). */
const KEPT = 'fn kept(label: i32) -> bool { return label != p.ignoreIndex && label >= 0 && u32(label) < p.vocab; }';

const CHUNK_STATS = defineKernel(
  'model/cross-entropy-chunks',
  { params: { rows: 'u32', vocab: 'u32', chunks: 'u32', rowStart: 'u32' }, read: { logits: 'F' }, write: { stats: 'vec2<f32>' } },
  () => `
${WORKGROUP_INDEX}
${mergeStats}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let w = workgroup_index(wid, nwg);
  let row = w / p.chunks;
  if (row >= p.rows) { return; }
  let chunk = w % p.chunks;
  let first = chunk * ${CHUNK}u;
  let last = min(first + ${CHUNK}u, p.vocab);
  // online softmax statistics: one exp per element
  var m = ${NEG_BIG};
  var s = 0.0;
  for (var j = first + lid; j < last; j += ${WG}u) {
    let x = f32(logits[row * p.vocab + j]);
    if (x > m) {
      s = s * exp(m - x) + 1.0;
      m = x;
    } else {
      s += exp(x - m);
    }
  }
  let total = merge_stats(vec2<f32>(m, s), lid);
  if (lid == 0u) { stats[(p.rowStart + row) * p.chunks + chunk] = total; }
}`,
);

const ROW_TERMS = defineKernel(
  'model/cross-entropy-rows',
  {
    params: { rows: 'u32', vocab: 'u32', chunks: 'u32', rowStart: 'u32', ignoreIndex: 'i32' },
    read: { logits: 'F', labels: 'i32', stats: 'vec2<f32>' },
    write: { lse: 'f32', terms: 'vec2<f32>' },
  },
  () => `
${WORKGROUP_INDEX}
${KEPT}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let row = workgroup_index(wid, nwg) * ${WG}u + lid;
  if (row >= p.rows) { return; }
  let global_row = p.rowStart + row;
  var a = vec2<f32>(${NEG_BIG}, 0.0);
  for (var c = 0u; c < p.chunks; c++) {
    let b = stats[global_row * p.chunks + c];
    a = ${LSE_MERGE};
  }
  let l = a.x + log(a.y);
  lse[global_row] = l;
  let label = labels[global_row];
  if (kept(label)) {
    terms[global_row] = vec2<f32>(l - f32(logits[row * p.vocab + u32(label)]), 1.0);
  } else {
    terms[global_row] = vec2<f32>(0.0);
  }
}`,
);

const MEAN = defineKernel(
  'model/cross-entropy-mean',
  { params: { rows: 'u32' }, read: { terms: 'vec2<f32>' }, write: { loss: 'F' } },
  () => `
${sumPairs}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  var acc = vec2<f32>(0.0);
  for (var r = lid; r < p.rows; r += ${WG}u) { acc += terms[r]; }
  let total = sum_pairs(acc, lid);
  if (lid == 0u) { loss[0] = F(select(0.0, total.x / total.y, total.y > 0.0)); }
}`,
);

const SCALE = defineKernel(
  'model/cross-entropy-backward-scale',
  { params: { rows: 'u32', vocab: 'u32', ignoreIndex: 'i32' }, read: { labels: 'i32', dLoss: 'F' }, write: { scale: 'f32' } },
  () => `
${KEPT}
${countU32}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  var n = 0u;
  for (var r = lid; r < p.rows; r += ${WG}u) { n += select(0u, 1u, kept(labels[r])); }
  let total = count_u32(n, lid);
  if (lid == 0u) { scale[0] = select(0.0, f32(dLoss[0]) / f32(total), total > 0u); }
}`,
);

/** Same (row, chunk) workgroups as the forward: the row's label and lse are read once per invocation. */
const GRADIENT = defineKernel(
  'model/cross-entropy-backward',
  {
    params: { rows: 'u32', vocab: 'u32', chunks: 'u32', rowStart: 'u32', ignoreIndex: 'i32' },
    read: { logits: 'F', labels: 'i32', lse: 'f32', scale: 'f32' },
    write: { dLogits: 'F' },
  },
  () => `
${WORKGROUP_INDEX}
${KEPT}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let w = workgroup_index(wid, nwg);
  let row = w / p.chunks;
  if (row >= p.rows) { return; }
  let first = (w % p.chunks) * ${CHUNK}u;
  let last = min(first + ${CHUNK}u, p.vocab);
  let label = labels[p.rowStart + row];
  let keep = kept(label);
  let l = lse[p.rowStart + row];
  let g = select(0.0, scale[0], keep);
  for (var j = first + lid; j < last; j += ${WG}u) {
    let at = row * p.vocab + j;
    let onehot = select(0.0, 1.0, keep && u32(label) == j);
    dLogits[at] = F(g * (exp(f32(logits[at]) - l) - onehot));
  }
}`,
);

function shape(logits: Tensor): { rows: number; vocab: number } {
  const vocab = logits.shape[logits.rank - 1]!;
  return { vocab, rows: vocab === 0 ? 0 : logits.size / vocab };
}

export function crossEntropy(ctx: KernelContext, logits: Tensor, labels: Tensor, ignoreIndex: number): { loss: Tensor; lse: Tensor } {
  const { rows, vocab } = shape(logits);
  const variant = variantOf(logits);
  const chunks = Math.max(1, Math.ceil(vocab / CHUNK));
  const loss = ctx.output([], logits.dtype);
  const lse = ctx.output([rows], 'f32');
  const stats = ctx.output([Math.max(rows, 1) * chunks, 2], 'f32');
  const terms = ctx.output([Math.max(rows, 1), 2], 'f32');
  for (const s of rowShards(ctx, 'crossEntropy', rows, [{ rowElements: vocab, dtype: logits.dtype }])) {
    const slice = shardOf(logits, vocab, s);
    CHUNK_STATS.run(ctx, {
      params: { rows: s.count, vocab, chunks, rowStart: s.start },
      read: { logits: slice },
      write: { stats },
      workgroups: ctx.grid1d(s.count * chunks * WG, WG),
      variant,
    });
    ROW_TERMS.run(ctx, {
      params: { rows: s.count, vocab, chunks, rowStart: s.start, ignoreIndex },
      read: { logits: slice, labels, stats },
      write: { lse, terms },
      workgroups: ctx.grid1d(s.count, WG),
      variant,
    });
  }
  MEAN.run(ctx, { params: { rows }, read: { terms }, write: { loss }, workgroups: [1], variant });
  stats.dispose();
  terms.dispose();
  return { loss, lse };
}

export function crossEntropyBackward(ctx: KernelContext, logits: Tensor, labels: Tensor, lse: Tensor, dLoss: Tensor, ignoreIndex: number): Tensor {
  const { rows, vocab } = shape(logits);
  const chunks = Math.max(1, Math.ceil(vocab / CHUNK));
  const dLogits = ctx.output(logits.shape, logits.dtype);
  const scale = ctx.output([1], 'f32');
  SCALE.run(ctx, { params: { rows, vocab, ignoreIndex }, read: { labels, dLoss }, write: { scale }, workgroups: [1], variant: variantOf(dLoss) });
  const operands = [{ rowElements: vocab, dtype: logits.dtype }];
  for (const s of rowShards(ctx, 'crossEntropyBackward', rows, operands)) {
    GRADIENT.run(ctx, {
      params: { rows: s.count, vocab, chunks, rowStart: s.start, ignoreIndex },
      read: { logits: shardOf(logits, vocab, s), labels, lse, scale },
      write: { dLogits: shardOf(dLogits, vocab, s) },
      workgroups: ctx.grid1d(s.count * chunks * WG, WG),
      variant: variantOf(logits),
    });
  }
  scale.dispose();
  return dLogits;
}
