import type { Tensor } from '@rr/tensor';
import type { KernelContext } from '../../kernel.js';
import { BUILTINS, WORKGROUP_INDEX, defineKernel } from '../wgsl.js';

/**
 * In-place ascending bitonic sort of (key, value) u32 pairs, compared lexicographically. Bitonic
 * because its comparisons do not depend on the data: no atomics, no dynamic scheduling, the same
 * result on every run and every GPU, in O(n log^2 n) work and O(log^2 n) dispatches.
 *
 * Blocks of BLOCK pairs are sorted (and later merged, for the strides below BLOCK) in workgroup
 * memory, one barrier per stride; only strides >= BLOCK go through global memory, one dispatch
 * each. For n = 16k that is 1 + 5 local + 15 global dispatches.
 *
 * The length must be a power of two and at least BLOCK: pad with (0xffffffff, 0xffffffff).
 */

const WG = 256;
/** Pairs per workgroup-local block: two per invocation. */
export const SORT_BLOCK = 2 * WG;

const LESS = 'fn less(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }';

/** Orders a[i] and a[i + j] for the bitonic stage k: ascending where bit k of the global index is 0. */
const COMPARE_SWAP = (array: string) => `
    let a = ${array}[i];
    let b = ${array}[i + j];
    let ascending = ((base + i) & k) == 0u;
    if (select(less(a, b), less(b, a), ascending)) {
      ${array}[i] = b;
      ${array}[i + j] = a;
    }`;

/** Stages kFirst..kLast (powers of two <= BLOCK), starting stage kFirst at stride jFirst. */
const LOCAL = defineKernel(
  'model/bitonic-sort-local',
  { params: { kFirst: 'u32', kLast: 'u32', jFirst: 'u32' }, read: {}, write: { pairs: 'vec2<u32>' } },
  () => `
${WORKGROUP_INDEX}
${LESS}
var<workgroup> tile: array<vec2<u32>, ${SORT_BLOCK}>;

@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let base = workgroup_index(wid, nwg) * ${SORT_BLOCK}u;
  tile[lid] = pairs[base + lid];
  tile[lid + ${WG}u] = pairs[base + lid + ${WG}u];
  workgroupBarrier();
  for (var k = p.kFirst; k <= p.kLast; k <<= 1u) {
    for (var j = select(k >> 1u, p.jFirst, k == p.kFirst); j > 0u; j >>= 1u) {
      // this invocation's pair: (lid / j) * 2j + lid % j, and that + j
      let i = 2u * lid - (lid & (j - 1u));
      ${COMPARE_SWAP('tile')}
      workgroupBarrier();
    }
  }
  pairs[base + lid] = tile[lid];
  pairs[base + lid + ${WG}u] = tile[lid + ${WG}u];
}`,
);

/** One stage k at one stride j >= BLOCK, over global memory. */
const GLOBAL = defineKernel(
  'model/bitonic-sort-global',
  { params: { k: 'u32', j: 'u32', halfLength: 'u32' }, read: {}, write: { pairs: 'vec2<u32>' } },
  () => `
${WORKGROUP_INDEX}
${LESS}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let t = workgroup_index(wid, nwg) * ${WG}u + lid;
  if (t >= p.halfLength) { return; }
  let k = p.k;
  let j = p.j;
  let base = 0u;
  let i = 2u * t - (t & (j - 1u));
  ${COMPARE_SWAP('pairs')}
}`,
);

/** The padded length `sortPairs` needs for n pairs. */
export function sortLength(n: number): number {
  let length = SORT_BLOCK;
  while (length < n) length *= 2;
  return length;
}

/** Sorts `pairs` ([length, 2] u32, length = sortLength(...)) in place. */
export function sortPairs(ctx: KernelContext, pairs: Tensor): void {
  const length = pairs.shape[0]!;
  const variant = { float: 'f32' } as const;
  const blocks = ctx.grid1d(length / 2, WG);
  LOCAL.run(ctx, { params: { kFirst: 2, kLast: SORT_BLOCK, jFirst: 1 }, read: {}, write: { pairs }, workgroups: blocks, variant });
  for (let k = 2 * SORT_BLOCK; k <= length; k *= 2) {
    for (let j = k / 2; j >= SORT_BLOCK; j /= 2) {
      GLOBAL.run(ctx, { params: { k, j, halfLength: length / 2 }, read: {}, write: { pairs }, workgroups: ctx.grid1d(length / 2, WG), variant });
    }
    LOCAL.run(ctx, { params: { kFirst: k, kLast: k, jFirst: SORT_BLOCK / 2 }, read: {}, write: { pairs }, workgroups: blocks, variant });
  }
}
