import { type DType, type Tensor, bytesPerElement } from '@rr/tensor';
import type { KernelContext } from '../kernel.js';
import { roundUp4 } from '../storage.js';
import { elementShards, shardOf } from './shards.js';
import { defineKernel, flatEntry, memoize, storageType } from './wgsl.js';

const WORKGROUP = 256;

/** One kernel per (from, to) pair: WGSL value conversion (floats to integers truncate toward zero). */
const castKernel = memoize(
  (from: DType, to: DType) => `${from}>${to}`,
  (from: DType, to: DType) =>
    defineKernel(`cast/${from}-to-${to}`, { params: { n: 'u32' }, read: { x: storageType(from) }, write: { y: storageType(to) } }, () =>
      flatEntry(WORKGROUP, `  if (i >= p.n) { return; }\n  y[i] = ${storageType(to)}(x[i]);`),
    ),
);

export function cast(ctx: KernelContext, x: Tensor, dtype: DType): Tensor {
  const y = ctx.output(x.shape, dtype);
  if (dtype === x.dtype) {
    ctx.copy(x, 0, y, 0, roundUp4(x.size * bytesPerElement(dtype)));
    return y;
  }
  for (const s of elementShards(ctx, 'cast', x.size, [x.dtype, dtype])) {
    castKernel(x.dtype, dtype).run(ctx, {
      params: { n: s.count },
      read: { x: shardOf(x, 1, s) },
      write: { y: shardOf(y, 1, s) },
      workgroups: ctx.grid1d(s.count, WORKGROUP),
      // enables f16 in the shader when either side is stored as f16
      variant: { float: x.dtype === 'f16' || dtype === 'f16' ? 'f16' : 'f32' },
    });
  }
  return y;
}
