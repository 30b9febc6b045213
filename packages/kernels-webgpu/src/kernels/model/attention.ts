import type { AttentionOptions, Tensor } from '@rr/tensor';
import type { KernelContext } from '../../kernel.js';
import {
  ADDRESSING,
  ROWS_PER_THREAD,
  type Tiles,
  type WorkgroupArrays,
  accumulateTile,
  chooseTiles,
  declareWorkgroupArrays,
  dotTile,
  loadTile,
  ownerOperand,
  strideOf,
  threadsOf,
  tileConstants,
} from './attention-tiles.js';
import { rowShards, shardOf } from '../shards.js';
import { BUILTINS, NEG_BIG, WORKGROUP_INDEX, defineKernel, memoize, variantOf } from '../wgsl.js';

/**
 * Causal grouped-query attention, flash style: q [B, Tq, Hq*Dh], k and v [B, S, Hkv*Dh] (heads
 * interleaved, read in place), query i at position kvLength - Tq + i seeing keys 0..position.
 * The T x T score matrix never exists: only [rows, keys] tiles in workgroup memory.
 *
 * Forward (FlashAttention-2's loop order): a workgroup owns a tile of query rows of one kv head's
 * group and streams key/value tiles up to the causal limit, keeping per row the running max m,
 * the running sum l and the output accumulator O in registers; each new tile rescales O and l by
 * exp(m_old - m_new). It writes O / l and lse = m + log l (f32) per query.
 *
 * Backward (FlashAttention-2's): with P = exp(S * scale - lse) recomputed from the saved lse and
 * D_i = rowsum(dO_i * O_i) from a pre-pass,
 *   dV_j = sum_i P_ij dO_i,   dS_ij = P_ij (dO_i . v_j - D_i),
 *   dK_j = scale * sum_i dS_ij q_i,   dQ_i = scale * sum_j dS_ij k_j.
 * Two kernels instead of atomics: dK/dV parallel over key tiles (each streams the query tiles that
 * can see it), dQ parallel over query tiles (each streams the visible key tiles). Each writes its
 * outputs once, so the results are deterministic.
 *
 * Tile sizes adapt to the device's workgroup memory (attention-tiles.ts); every kernel is
 * specialised on headDim and its tiles. Tensors larger than a binding are processed in shards of
 * batch entries.
 */

const PARAMS = { tq: 'u32', s: 'u32', hq: 'u32', hkv: 'u32', group: 'u32', kvLength: 'u32', scale: 'f32' } as const;

/**
 * Workgroup memory per kernel. Tiles of rows hold headDim values at STRIDE; the forward's score
 * tile is walked row by row in the softmax, so its rows are padded by one too (bank conflicts).
 * The owned rows are there only when they fit (see attention-tiles.ts).
 */
const owned = (t: Tiles, ...names: string[]): WorkgroupArrays =>
  t.ownerInWorkgroup ? Object.fromEntries(names.map((n) => [n, t.owner * strideOf(t.headDim)])) : {};

const forwardArrays = (t: Tiles): WorkgroupArrays => ({ ...owned(t, 'sh_q'), ...forwardStreamed(t) });
const forwardStreamed = ({ owner, other, headDim }: Tiles): WorkgroupArrays => ({
  sh_kv: other * strideOf(headDim),
  sh_p: owner * (other + 1),
  row_m: owner,
  row_l: owner,
  row_alpha: owner,
});
const queryGradientArrays = (t: Tiles): WorkgroupArrays => ({ ...owned(t, 'sh_q', 'sh_do'), ...queryGradientStreamed(t) });
const queryGradientStreamed = ({ owner, other, headDim }: Tiles): WorkgroupArrays => ({
  sh_k: other * strideOf(headDim),
  sh_v: other * strideOf(headDim),
  sh_ds: owner * other,
  row_lse: owner,
  row_delta: owner,
});
const keyGradientArrays = (t: Tiles): WorkgroupArrays => ({ ...owned(t, 'sh_k', 'sh_v'), ...keyGradientStreamed(t) });
const keyGradientStreamed = ({ owner, other, headDim }: Tiles): WorkgroupArrays => ({
  sh_q: other * strideOf(headDim),
  sh_do: other * strideOf(headDim),
  sh_pt: owner * other,
  sh_dst: owner * other,
  row_lse: other,
  row_delta: other,
});

/**
 * Rows of a tile starting at query row rho0 or key j0, whether owned (see ownerOperand) or
 * streamed; rows past the end load as zeros.
 */
const queryRows = {
  valid: (row: string) => `rho0 + ${row} < rows`,
  address: (row: string) => `q_row(b, kvh, rho0 + ${row})`,
  clamp: (row: string) => `min(${row}, rows - 1u - rho0)`,
};
const keyRows = {
  valid: (row: string) => `j0 + ${row} < p.kvLength`,
  address: (row: string) => `kv_row(b, kvh, j0 + ${row})`,
  clamp: (row: string) => `min(${row}, p.s - 1u - j0)`,
};

/** The part of a kernel's name that its specialisation changes. */
const tilesKey = (t: Tiles): string => `d${t.headDim}:${t.owner}x${t.other}${t.ownerInWorkgroup ? '' : ':owner-in-place'}`;

const forwardKernel = memoize(
  (t: Tiles) => tilesKey(t),
  (t: Tiles) => {
    const queries = ownerOperand(t, { name: 'sh_q', src: 'q', ...queryRows });
    return defineKernel(
      `model/attention:${tilesKey(t)}`,
      { params: PARAMS, read: { q: 'F', k: 'F', v: 'F' }, write: { out: 'F', lse: 'f32' } },
      () => `
${tileConstants(t)}
const PSTRIDE = OTHER + 1u;
${declareWorkgroupArrays(forwardArrays(t))}
${ADDRESSING}

@compute @workgroup_size(${threadsOf(t)})
fn main(${BUILTINS}) {
  let tx = lid % 16u;
  let ty = lid / 16u;
  let rho0 = wid.x * OWN;
  let kvh = wid.y;
  let b = wid.z;
  let rows = p.tq * p.group;
  ${queries.setup}
  if (lid < OWN) {
    row_m[lid] = ${NEG_BIG};
    row_l[lid] = 0.0;
  }
  var o = array<array<f32, DCOLS>, ${ROWS_PER_THREAD}>();
  // keys [0, key_end) are visible to some row of this tile
  let key_end = position(min(rho0 + OWN, rows) - 1u) + 1u;
  for (var j0 = 0u; j0 < key_end; j0 += OTHER) {
    // the previous tile's P V is done with sh_kv and sh_p
    workgroupBarrier();
    ${loadTile('sh_kv', 'k', 'OTHER', keyRows.valid, keyRows.address)}
    workgroupBarrier();
    ${dotTile('s', queries, 'sh_kv')}
    for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) {
      let row = ty * ${ROWS_PER_THREAD}u + r;
      for (var c = 0u; c < COLS; c++) {
        let col = tx + 16u * c;
        sh_p[row * PSTRIDE + col] = select(${NEG_BIG}, s[r][c] * p.scale, visible(rho0 + row, j0 + col));
      }
    }
    workgroupBarrier();
    // K is consumed: V goes into the same tile while one invocation per row does the online softmax
    ${loadTile('sh_kv', 'v', 'OTHER', keyRows.valid, keyRows.address)}
    if (lid < OWN) {
      let m_old = row_m[lid];
      var m_new = m_old;
      for (var c = 0u; c < OTHER; c++) { m_new = max(m_new, sh_p[lid * PSTRIDE + c]); }
      var sum = 0.0;
      for (var c = 0u; c < OTHER; c++) {
        let e = exp(sh_p[lid * PSTRIDE + c] - m_new);
        sh_p[lid * PSTRIDE + c] = e;
        sum += e;
      }
      let alpha = exp(m_old - m_new);
      row_alpha[lid] = alpha;
      row_l[lid] = row_l[lid] * alpha + sum;
      row_m[lid] = m_new;
    }
    workgroupBarrier();
    for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) {
      let alpha = row_alpha[ty * ${ROWS_PER_THREAD}u + r];
      for (var n = 0u; n < DCOLS; n++) { o[r][n] *= alpha; }
    }
    ${accumulateTile('o', 'sh_p', 'PSTRIDE', 'sh_kv', 'OTHER')}
  }
  for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) {
    let row = ty * ${ROWS_PER_THREAD}u + r;
    let rho = rho0 + row;
    if (rho < rows) {
      let l = row_l[row];
      let at = q_row(b, kvh, rho);
      for (var n = 0u; n < DCOLS; n++) {
        let col = tx + 16u * n;
        if (col < DH) { out[at + col] = F(o[r][n] / l); }
      }
      if (tx == 0u) { lse[lse_index(b, kvh, rho)] = row_m[row] + log(l); }
    }
  }
}`,
    );
  },
);

/** D = rowsum(dO * O) per (batch, query, head), stored like lse: [B, Hq, Tq]. */
const ROW_DOT = defineKernel(
  'model/attention-backward-row-dot',
  { params: { rows: 'u32', tq: 'u32', hq: 'u32', headDim: 'u32' }, read: { out: 'F', dOut: 'F' }, write: { delta: 'f32' } },
  () => `
${WORKGROUP_INDEX}
@compute @workgroup_size(64)
fn main(${BUILTINS}) {
  let row = workgroup_index(wid, nwg) * 64u + lid;   // (b, i, h) in q's layout
  if (row >= p.rows) { return; }
  var d = 0.0;
  for (var c = 0u; c < p.headDim; c++) { d = fma(f32(dOut[row * p.headDim + c]), f32(out[row * p.headDim + c]), d); }
  let h = row % p.hq;
  let bi = row / p.hq;
  delta[((bi / p.tq) * p.hq + h) * p.tq + bi % p.tq] = d;
}`,
);

const backwardQueryKernel = memoize(
  (t: Tiles) => tilesKey(t),
  (t: Tiles) => {
    const queries = ownerOperand(t, { name: 'sh_q', src: 'q', ...queryRows });
    const gradients = ownerOperand(t, { name: 'sh_do', src: 'dOut', ...queryRows });
    return defineKernel(
      `model/attention-backward-dq:${tilesKey(t)}`,
      { params: PARAMS, read: { q: 'F', k: 'F', v: 'F', dOut: 'F', lse: 'f32', delta: 'f32' }, write: { dq: 'F' } },
      () => `
${tileConstants(t)}
${declareWorkgroupArrays(queryGradientArrays(t))}
${ADDRESSING}

@compute @workgroup_size(${threadsOf(t)})
fn main(${BUILTINS}) {
  let tx = lid % 16u;
  let ty = lid / 16u;
  let rho0 = wid.x * OWN;
  let kvh = wid.y;
  let b = wid.z;
  let rows = p.tq * p.group;
  ${queries.setup}
  ${gradients.setup}
  if (lid < OWN) {
    let ok = rho0 + lid < rows;
    row_lse[lid] = select(0.0, lse[lse_index(b, kvh, min(rho0 + lid, rows - 1u))], ok);
    row_delta[lid] = select(0.0, delta[lse_index(b, kvh, min(rho0 + lid, rows - 1u))], ok);
  }
  var acc_dq = array<array<f32, DCOLS>, ${ROWS_PER_THREAD}>();
  let key_end = position(min(rho0 + OWN, rows) - 1u) + 1u;
  for (var j0 = 0u; j0 < key_end; j0 += OTHER) {
    workgroupBarrier();
    ${loadTile('sh_k', 'k', 'OTHER', keyRows.valid, keyRows.address)}
    ${loadTile('sh_v', 'v', 'OTHER', keyRows.valid, keyRows.address)}
    workgroupBarrier();
    ${dotTile('s', queries, 'sh_k')}
    ${dotTile('dp', gradients, 'sh_v')}
    for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) {
      let row = ty * ${ROWS_PER_THREAD}u + r;
      for (var c = 0u; c < COLS; c++) {
        let col = tx + 16u * c;
        let seen = visible(rho0 + row, j0 + col);
        let pr = select(0.0, exp(s[r][c] * p.scale - row_lse[row]), seen);
        sh_ds[row * OTHER + col] = select(0.0, pr * (dp[r][c] - row_delta[row]), seen);
      }
    }
    workgroupBarrier();
    ${accumulateTile('acc_dq', 'sh_ds', 'OTHER', 'sh_k', 'OTHER')}
  }
  for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) {
    let rho = rho0 + ty * ${ROWS_PER_THREAD}u + r;
    if (rho < rows) {
      let at = q_row(b, kvh, rho);
      for (var n = 0u; n < DCOLS; n++) {
        let col = tx + 16u * n;
        if (col < DH) { dq[at + col] = F(acc_dq[r][n] * p.scale); }
      }
    }
  }
}`,
    );
  },
);

const backwardKeyKernel = memoize(
  (t: Tiles) => tilesKey(t),
  (t: Tiles) => {
    const keys = ownerOperand(t, { name: 'sh_k', src: 'k', ...keyRows });
    const values = ownerOperand(t, { name: 'sh_v', src: 'v', ...keyRows });
    return defineKernel(
      `model/attention-backward-dkdv:${tilesKey(t)}`,
      { params: PARAMS, read: { q: 'F', k: 'F', v: 'F', dOut: 'F', lse: 'f32', delta: 'f32' }, write: { dk: 'F', dv: 'F' } },
      () => `
${tileConstants(t)}
${declareWorkgroupArrays(keyGradientArrays(t))}
${ADDRESSING}

@compute @workgroup_size(${threadsOf(t)})
fn main(${BUILTINS}) {
  let tx = lid % 16u;
  let ty = lid / 16u;
  let j0 = wid.x * OWN;
  let kvh = wid.y;
  let b = wid.z;
  let rows = p.tq * p.group;
  ${keys.setup}
  ${values.setup}
  var acc_dk = array<array<f32, DCOLS>, ${ROWS_PER_THREAD}>();
  var acc_dv = array<array<f32, DCOLS>, ${ROWS_PER_THREAD}>();
  // the first query that can see key j0 (none when j0 >= kvLength: the loop is empty, the gradients 0)
  let first_query = max(j0 + p.tq, p.kvLength) - p.kvLength;
  for (var rho0 = first_query * p.group; rho0 < rows; rho0 += OTHER) {
    workgroupBarrier();
    ${loadTile('sh_q', 'q', 'OTHER', queryRows.valid, queryRows.address)}
    ${loadTile('sh_do', 'dOut', 'OTHER', queryRows.valid, queryRows.address)}
    if (lid < OTHER) {
      let ok = rho0 + lid < rows;
      row_lse[lid] = select(0.0, lse[lse_index(b, kvh, min(rho0 + lid, rows - 1u))], ok);
      row_delta[lid] = select(0.0, delta[lse_index(b, kvh, min(rho0 + lid, rows - 1u))], ok);
    }
    workgroupBarrier();
    ${dotTile('st', keys, 'sh_q')}
    ${dotTile('dpt', values, 'sh_do')}
    for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) {
      let key = ty * ${ROWS_PER_THREAD}u + r;
      for (var c = 0u; c < COLS; c++) {
        let col = tx + 16u * c;
        let rho = rho0 + col;
        // select, not multiply: keys past kvLength read in place may hold anything, NaN included
        let seen = rho < rows && visible(rho, j0 + key);
        let pt = select(0.0, exp(st[r][c] * p.scale - row_lse[col]), seen);
        sh_pt[key * OTHER + col] = pt;
        sh_dst[key * OTHER + col] = select(0.0, pt * (dpt[r][c] - row_delta[col]), seen);
      }
    }
    workgroupBarrier();
    ${accumulateTile('acc_dv', 'sh_pt', 'OTHER', 'sh_do', 'OTHER')}
    ${accumulateTile('acc_dk', 'sh_dst', 'OTHER', 'sh_q', 'OTHER')}
  }
  for (var r = 0u; r < ${ROWS_PER_THREAD}u; r++) {
    let j = j0 + ty * ${ROWS_PER_THREAD}u + r;
    if (j < p.s) {
      let at = kv_row(b, kvh, j);
      for (var n = 0u; n < DCOLS; n++) {
        let col = tx + 16u * n;
        if (col < DH) {
          dk[at + col] = F(acc_dk[r][n] * p.scale);
          dv[at + col] = F(acc_dv[r][n]);
        }
      }
    }
  }
}`,
    );
  },
);

interface Dims {
  batch: number;
  tq: number;
  s: number;
  params: { tq: number; s: number; hq: number; hkv: number; group: number; kvLength: number; scale: number };
}

function dims(q: Tensor, k: Tensor, o: AttentionOptions): Dims {
  const [batch, tq] = q.shape as [number, number, number];
  const s = k.shape[1]!;
  const params = {
    tq,
    s,
    hq: o.nHeads,
    hkv: o.nKvHeads,
    group: o.nHeads / o.nKvHeads,
    kvLength: o.kvLength ?? s,
    scale: o.scale ?? 1 / Math.sqrt(o.headDim),
  };
  return { batch, tq, s, params };
}

/** Batch shards: every operand is batch-major, so a shard is a contiguous slice of each. */
function batchShards(ctx: KernelContext, what: string, d: Dims, q: Tensor, o: AttentionOptions) {
  const qRow = d.tq * o.nHeads * o.headDim;
  const kvRow = d.s * o.nKvHeads * o.headDim;
  const lseRow = o.nHeads * d.tq;
  const shards = rowShards(ctx, what, d.batch, [
    { rowElements: qRow, dtype: q.dtype },
    { rowElements: kvRow, dtype: q.dtype },
    { rowElements: lseRow, dtype: 'f32' },
  ]);
  return shards.map((shard) => ({
    count: shard.count,
    q: (t: Tensor) => shardOf(t, qRow, shard),
    kv: (t: Tensor) => shardOf(t, kvRow, shard),
    lse: (t: Tensor) => shardOf(t, lseRow, shard),
  }));
}

export function attention(ctx: KernelContext, q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): { out: Tensor; lse: Tensor } {
  const d = dims(q, k, options);
  const out = ctx.output(q.shape, q.dtype);
  const lse = ctx.output([d.batch, options.nHeads, d.tq], 'f32');
  const tiles = chooseTiles('attention', options.headDim, d.tq * d.params.group, ctx.limits, forwardArrays);
  const kernel = forwardKernel(tiles);
  for (const s of batchShards(ctx, 'attention', d, q, options)) {
    kernel.run(ctx, {
      params: d.params,
      read: { q: s.q(q), k: s.kv(k), v: s.kv(v) },
      write: { out: s.q(out), lse: s.lse(lse) },
      workgroups: [Math.ceil((d.tq * d.params.group) / tiles.owner), options.nKvHeads, s.count],
      variant: variantOf(q),
    });
  }
  return { out, lse };
}

export function attentionBackward(
  ctx: KernelContext,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  dOut: Tensor,
  options: AttentionOptions,
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const d = dims(q, k, options);
  const variant = variantOf(q);
  const dq = ctx.output(q.shape, q.dtype);
  const dk = ctx.output(k.shape, k.dtype);
  const dv = ctx.output(v.shape, v.dtype);
  const delta = ctx.output([d.batch, options.nHeads, d.tq], 'f32');
  const queryTiles = chooseTiles('attentionBackward (dq)', options.headDim, d.tq * d.params.group, ctx.limits, queryGradientArrays);
  const keyTiles = chooseTiles('attentionBackward (dk, dv)', options.headDim, d.s, ctx.limits, keyGradientArrays);
  const queryKernel = backwardQueryKernel(queryTiles);
  const keyKernel = backwardKeyKernel(keyTiles);
  for (const s of batchShards(ctx, 'attentionBackward', d, q, options)) {
    const rows = s.count * d.tq * options.nHeads;
    ROW_DOT.run(ctx, {
      params: { rows, tq: d.tq, hq: options.nHeads, headDim: options.headDim },
      read: { out: s.q(out), dOut: s.q(dOut) },
      write: { delta: s.lse(delta) },
      workgroups: ctx.grid1d(rows, 64),
      variant,
    });
    const read = { q: s.q(q), k: s.kv(k), v: s.kv(v), dOut: s.q(dOut), lse: s.lse(lse), delta: s.lse(delta) };
    keyKernel.run(ctx, {
      params: d.params,
      read,
      write: { dk: s.kv(dk), dv: s.kv(dv) },
      workgroups: [Math.ceil(d.s / keyTiles.owner), options.nKvHeads, s.count],
      variant,
    });
    queryKernel.run(ctx, {
      params: d.params,
      read,
      write: { dq: s.q(dq) },
      workgroups: [Math.ceil((d.tq * d.params.group) / queryTiles.owner), options.nKvHeads, s.count],
      variant,
    });
  }
  delta.dispose();
  return { dq, dk, dv };
}
