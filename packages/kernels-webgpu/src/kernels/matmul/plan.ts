import { webgpuError } from '../../errors.js';
import { type MatmulBlock, type MatmulProblem, blockExtents } from './problem.js';

export interface PlanLimits {
  /** Largest storage binding in bytes. */
  bindingLimit: number;
  /** Binding offsets are multiples of this many elements. */
  alignment: number;
  bytesPerElement: number;
  /** Most rows / columns / batches one dispatch covers (workgroup-count limits times the kernel's tile). */
  maxRows: number;
  maxCols: number;
  maxBatch: number;
}

/**
 * Blocks are cut at multiples of 4 rows (below 4 rows, at any row): with 4-aligned strides that
 * keeps every block's origin vec4-aligned, so the blocks still run the vec4 kernels.
 */
const GRAIN = 4;

/**
 * Cuts a matmul into blocks whose operands each fit one storage binding, for tensors larger than
 * maxStorageBufferBindingSize (an LM head or embedding of 128k x 2048 f32 is 1 GiB, 8x the default).
 *
 * A block of a row-major matrix spans whole rows, so only cutting a matrix's row axis shrinks its
 * binding: A's rows are M (or K when transposed), B's are K (or N when transposed), C's are M.
 * Starting from one block, the operand furthest over the limit has its row axis cut in two until
 * everything fits. Cutting K makes partial products, which the kernels accumulate into C (blocks of
 * one C region are dispatched in order, k0 = 0 first). When everything fits at once (the common
 * case) the plan is one block per run of at most maxBatch batches.
 */
export function planMatmul(p: MatmulProblem, lim: PlanLimits): MatmulBlock[] {
  // a block's binding starts at its first element rounded down to the alignment: the probe blocks
  // below start at 0, so they are charged the worst rounding any later block can get
  const fits = (blk: MatmulBlock, slack = lim.alignment - 1): boolean => {
    const e = blockExtents(p, blk);
    return [e.a, e.b, e.c].every(([first, end]) => (end - first + slack) * lim.bytesPerElement <= lim.bindingLimit);
  };
  const whole = (z0: number, zCount: number): MatmulBlock => ({ z0, zCount, m0: 0, mCount: p.m, n0: 0, nCount: p.n, k0: 0, kCount: p.k });

  // whole matrices, as many batches per dispatch as fit
  let zGroup = Math.min(p.batch, lim.maxBatch);
  while (zGroup > 1 && !fits(whole(0, zGroup))) zGroup = Math.ceil(zGroup / 2);
  if (p.m <= lim.maxRows && p.n <= lim.maxCols && (fits(whole(0, p.batch), 0) || fits(whole(0, zGroup)))) {
    const blocks: MatmulBlock[] = [];
    for (let z0 = 0; z0 < p.batch; z0 += zGroup) blocks.push(whole(z0, Math.min(zGroup, p.batch - z0)));
    return blocks;
  }

  // one batch entry at a time, cut into row blocks
  const size = { m: chunk(p.m, Math.min(p.m, lim.maxRows)), n: chunk(p.n, Math.min(p.n, lim.maxCols)), k: p.k };
  for (;;) {
    const probe: MatmulBlock = { z0: 0, zCount: 1, m0: 0, mCount: size.m, n0: 0, nCount: size.n, k0: 0, kCount: size.k };
    const e = blockExtents(p, probe);
    const over = { a: e.a[1] - e.a[0], b: e.b[1] - e.b[0], c: e.c[1] - e.c[0] };
    if (fits(probe)) break;
    const worst = (Object.keys(over) as ('a' | 'b' | 'c')[]).sort((x, y) => over[y] - over[x])[0]!;
    const axis = worst === 'a' ? (p.transA ? 'k' : 'm') : worst === 'b' ? (p.transB ? 'n' : 'k') : 'm';
    const next = chunk(size[axis], Math.ceil(size[axis] / 2));
    if (next >= size[axis]) {
      throw webgpuError(
        'WEBGPU_BINDING_TOO_LARGE',
        `matmul: operand ${worst.toUpperCase()} of a [${p.m} x ${p.k}] x [${p.k} x ${p.n}] product cannot be cut into blocks of at most ${lim.bindingLimit} bytes (maxStorageBufferBindingSize): even a block of ${size[axis]} along ${axis} is too large. Use a device with a larger binding limit.`,
        { op: 'matmul', limit: lim.bindingLimit },
      );
    }
    size[axis] = next;
  }

  const blocks: MatmulBlock[] = [];
  for (let z0 = 0; z0 < p.batch; z0++) {
    for (let m0 = 0; m0 < p.m; m0 += size.m) {
      for (let n0 = 0; n0 < p.n; n0 += size.n) {
        for (let k0 = 0; k0 < p.k; k0 += size.k) {
          blocks.push({
            z0,
            zCount: 1,
            m0,
            mCount: Math.min(size.m, p.m - m0),
            n0,
            nCount: Math.min(size.n, p.n - n0),
            k0,
            kCount: Math.min(size.k, p.k - k0),
          });
        }
      }
    }
  }
  return blocks;
}

/** `want` rounded up to the cutting grain, never above `total`. */
function chunk(total: number, want: number): number {
  return Math.min(total, want < GRAIN ? Math.max(1, want) : Math.ceil(want / GRAIN) * GRAIN);
}
