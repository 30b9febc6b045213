import { type MatmulOptions, type Tensor, bytesPerElement } from '@rr/tensor';
import type { KernelContext } from '../../kernel.js';
import { alignedRange } from '../shards.js';
import { memoize, variantOf } from '../wgsl.js';
import { planMatmul } from './plan.js';
import { type MatmulBlock, type MatmulProblem, blockExtents, matmulParams, matmulProblem } from './problem.js';
import { registerMatmulKernel } from './registers.js';
import { tiledMatmulKernel, TILED_GEOMETRY } from './tiled.js';

/** Which matmul kernel family runs: register blocks for CPU-emulated adapters, workgroup-memory tiles for GPUs. */
export type MatmulKernelKind = 'registers' | 'tiled';

/** How a kernel family lays out its work: the C block of one workgroup. */
interface Geometry {
  rowsPerGroup: number;
  colsPerGroup: number;
  kernel(transA: boolean, transB: boolean, vec4: boolean): MatmulKernel;
}

type MatmulKernel = ReturnType<typeof tiledMatmulKernel>;

/**
 * Register tiling for lavapipe (2 cores, 8 lanes of 256 bits): 8 rows x 4 columns per invocation
 * (32 f32 accumulators; 12 or 16 rows spill and run at half the speed), 8 invocations per
 * workgroup (one llvmpipe SIMD group: 32 columns per workgroup, so narrow products waste little).
 * Measured against other tilings in the package README.
 */
const REGISTERS = { rows: 8, cols: 4, workgroup: 8 };

/** One kernel per (family, transA, transB, vec4). */
const kernelFor = memoize(
  (kind: MatmulKernelKind, transA: boolean, transB: boolean, vec4: boolean) => `${kind}/${+transA}${+transB}${+vec4}`,
  (kind: MatmulKernelKind, transA: boolean, transB: boolean, vec4: boolean): MatmulKernel =>
    kind === 'tiled' ? tiledMatmulKernel({ transA, transB, vec4 }) : registerMatmulKernel({ ...REGISTERS, transA, transB, vec4 }),
);

function geometry(kind: MatmulKernelKind): Geometry {
  const kernel = (transA: boolean, transB: boolean, vec4: boolean): MatmulKernel => kernelFor(kind, transA, transB, vec4);
  return kind === 'tiled' ? { ...TILED_GEOMETRY, kernel } : { rowsPerGroup: REGISTERS.rows, colsPerGroup: REGISTERS.cols * REGISTERS.workgroup, kernel };
}

/**
 * Batched matmul with transposed operands and a shared or batched B, f32 accumulation whatever the
 * storage type. Operands larger than one storage binding are cut into blocks (see plan.ts) and
 * bound through aligned ranges; each block picks the vec4 kernel when its strides allow.
 */
export function matmul(ctx: KernelContext, kind: MatmulKernelKind, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const { problem: p, outShape } = matmulProblem(a, b, options);
  const c = ctx.output(outShape, a.dtype, { zero: p.k === 0 });
  if (p.k === 0 || c.size === 0) return c;
  const g = geometry(kind);
  const bpe = bytesPerElement(a.dtype);
  const maxGroups = ctx.limits.maxComputeWorkgroupsPerDimension;
  const blocks = planMatmul(p, {
    bindingLimit: ctx.limits.maxStorageBufferBindingSize,
    alignment: ctx.limits.minStorageBufferOffsetAlignment / bpe,
    bytesPerElement: bpe,
    maxRows: maxGroups * g.rowsPerGroup,
    maxCols: maxGroups * g.colsPerGroup,
    maxBatch: maxGroups,
  });
  for (const blk of blocks) dispatchBlock(ctx, g, p, blk, a, b, c);
  return c;
}

function dispatchBlock(ctx: KernelContext, g: Geometry, p: MatmulProblem, blk: MatmulBlock, a: Tensor, b: Tensor, c: Tensor): void {
  const e = blockExtents(p, blk);
  const ra = alignedRange(ctx, a, e.a[0], e.a[1]);
  const rb = alignedRange(ctx, b, e.b[0], e.b[1]);
  const rc = alignedRange(ctx, c, e.c[0], e.c[1]);
  const bases = { a: ra.base, b: rb.base, c: rc.base };
  const vec4 = vec4Aligned(p, blk, bases);
  g.kernel(p.transA, p.transB, vec4).run(ctx, {
    params: matmulParams(p, blk, bases, blk.k0 > 0),
    read: { A: ra.binding, B: rb.binding },
    write: { C: rc.binding },
    workgroups: [Math.ceil(blk.nCount / g.colsPerGroup), Math.ceil(blk.mCount / g.rowsPerGroup), blk.zCount],
    variant: variantOf(a),
  });
}

/** Whether every vec4 load and store of the block is 4-aligned: strides, bases and the vectorised dimensions. */
function vec4Aligned(p: MatmulProblem, blk: MatmulBlock, bases: { a: number; b: number; c: number }): boolean {
  const all4 = (...xs: number[]): boolean => xs.every((x) => x % 4 === 0);
  return all4(p.lda, p.ldb, p.ldc, p.aBatch, p.bBatch, p.cBatch, bases.a, bases.b, bases.c, blk.nCount, blk.kCount) && (!p.transA || all4(blk.mCount));
}
