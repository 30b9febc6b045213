import { type MatmulOptions, type Tensor, bytesPerElement } from '@rr/tensor';
import type { GpuContext } from '../../context.js';
import type { ShaderSpec } from '../../kernel.js';
import { memo } from '../../wgsl/source.js';
import { alignedRange } from '../chunks.js';
import { planMatmul } from './plan.js';
import { type MatmulBlock, type MatmulProblem, blockExtents, matmulParams, matmulProblem } from './problem.js';
import { registerMatmulSpec } from './registers.js';
import { tiledMatmulSpec, TILED_GEOMETRY } from './tiled.js';

/** Which matmul kernel family runs: register blocks for CPU-emulated adapters, workgroup-memory tiles for GPUs. */
export type MatmulKernelKind = 'registers' | 'tiled';

/** How a kernel family lays out its work: the C block of one workgroup. */
interface Geometry {
  rowsPerGroup: number;
  colsPerGroup: number;
  spec(transA: boolean, transB: boolean, vec4: boolean): ShaderSpec;
}

/**
 * Register tiling for lavapipe (2 cores, 8 lanes of 256 bits): 8 rows x 4 columns per invocation
 * (32 f32 accumulators; 12 or 16 rows spill and run at half the speed), 8 invocations per
 * workgroup (one llvmpipe SIMD group: 32 columns per workgroup, so narrow products waste little).
 * Measured against other tilings in the package README.
 */
const REGISTERS = { rows: 8, cols: 4, workgroup: 8 };

/** One spec per (family, transA, transB, vec4), keyed like 'registers/101'. */
const specFor = memo((key: string): ShaderSpec => {
  const [kind, flags] = key.split('/') as [MatmulKernelKind, string];
  const [transA, transB, vec4] = [...flags].map((f) => f === '1') as [boolean, boolean, boolean];
  return kind === 'tiled' ? tiledMatmulSpec({ transA, transB, vec4 }) : registerMatmulSpec({ ...REGISTERS, transA, transB, vec4 });
});

function geometry(kind: MatmulKernelKind): Geometry {
  const spec = (transA: boolean, transB: boolean, vec4: boolean): ShaderSpec => specFor(`${kind}/${+transA}${+transB}${+vec4}`);
  return kind === 'tiled'
    ? { ...TILED_GEOMETRY, spec }
    : { rowsPerGroup: REGISTERS.rows, colsPerGroup: REGISTERS.cols * REGISTERS.workgroup, spec };
}

/**
 * Batched matmul with transposed operands and a shared or batched B, f32 accumulation whatever the
 * storage type. Operands larger than one storage binding are cut into blocks (see plan.ts) and
 * bound through aligned ranges; each block picks the vec4 kernel when its strides allow.
 */
export function matmul(ctx: GpuContext, kind: MatmulKernelKind, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const { problem: p, outShape } = matmulProblem(a, b, options);
  const c = ctx.output(outShape, a.dtype, { zero: p.k === 0 });
  if (p.k === 0 || c.size === 0) return c;
  const g = geometry(kind);
  const bpe = bytesPerElement(a.dtype);
  const maxGroups = ctx.limits.maxComputeWorkgroupsPerDimension;
  const blocks = planMatmul(p, {
    bindingLimit: ctx.bindingLimit,
    alignment: ctx.bindingAlignment / bpe,
    bytesPerElement: bpe,
    maxRows: maxGroups * g.rowsPerGroup,
    maxCols: maxGroups * g.colsPerGroup,
    maxBatch: maxGroups,
  });
  for (const blk of blocks) dispatchBlock(ctx, g, p, blk, a, b, c, bpe);
  return c;
}

function dispatchBlock(ctx: GpuContext, g: Geometry, p: MatmulProblem, blk: MatmulBlock, a: Tensor, b: Tensor, c: Tensor, bpe: number): void {
  const e = blockExtents(p, blk);
  const ra = alignedRange(ctx, a, e.a[0], e.a[1], bpe);
  const rb = alignedRange(ctx, b, e.b[0], e.b[1], bpe);
  const rc = alignedRange(ctx, c, e.c[0], e.c[1], bpe);
  const bases = { a: ra.base, b: rb.base, c: rc.base };
  const vec4 = vec4Aligned(p, blk, bases);
  ctx.dispatch(g.spec(p.transA, p.transB, vec4), {
    read: [ra.binding, rb.binding],
    write: [rc.binding],
    params: matmulParams(p, blk, bases, blk.k0 > 0),
    workgroups: [Math.ceil(blk.nCount / g.colsPerGroup), Math.ceil(blk.mCount / g.rowsPerGroup), blk.zCount],
  });
}

/** Whether every vec4 load and store of the block is 4-aligned: strides, bases and the vectorised dimensions. */
function vec4Aligned(p: MatmulProblem, blk: MatmulBlock, bases: { a: number; b: number; c: number }): boolean {
  const all4 = (...xs: number[]): boolean => xs.every((x) => x % 4 === 0);
  return (
    all4(p.lda, p.ldb, p.ldc, p.aBatch, p.bBatch, p.cBatch, bases.a, bases.b, bases.c, blk.nCount, blk.kCount) &&
    (!p.transA || all4(blk.mCount))
  );
}
