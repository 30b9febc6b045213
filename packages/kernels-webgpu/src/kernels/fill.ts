import type { DType, Tensor } from '@rr/tensor';
import type { KernelContext } from '../kernel.js';
import { elementShards, shardOf } from './shards.js';
import { defineKernel, flatEntry, memoize, storageType, variantOf } from './wgsl.js';

const WORKGROUP = 256;

/** The value travels as an f32 param for floats (f16 rounds in the shader) and as i32/u32 for integers. */
const fillKernel = memoize(
  (dtype: DType) => dtype,
  (dtype: DType) => {
    const t = storageType(dtype);
    return defineKernel(`fill/${dtype}`, { params: { n: 'u32', value: t === 'f16' ? 'f32' : t }, read: {}, write: { y: t } }, () =>
      flatEntry(WORKGROUP, `  if (i >= p.n) { return; }\n  y[i] = ${t}(p.value);`),
    );
  },
);

/** zeros are a clearBuffer; other values a fill kernel. */
export function full(ctx: KernelContext, shape: readonly number[], value: number, dtype: DType): Tensor {
  if (value === 0 && !Object.is(value, -0)) return ctx.output(shape, dtype, { zero: true });
  const y = ctx.output(shape, dtype);
  for (const s of elementShards(ctx, 'full', y.size, [dtype])) {
    fillKernel(dtype).run(ctx, {
      params: { n: s.count, value },
      read: {},
      write: { y: shardOf(y, 1, s) },
      workgroups: ctx.grid1d(s.count, WORKGROUP),
      variant: variantOf(y),
    });
  }
  return y;
}
