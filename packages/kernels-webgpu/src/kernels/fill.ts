import type { DType, Tensor } from '@rr/tensor';
import type { GpuContext } from '../context.js';
import type { ShaderSpec } from '../kernel.js';
import { declare, flatEntry, memo, wgslScalar } from '../wgsl/source.js';
import { forEachChunk, part } from './chunks.js';

const WORKGROUP = 256;

/** The value travels as an f32 param for floats (f16 rounds in the shader) and as i32/u32 for integers. */
const fillSpec = memo((dtype: DType): ShaderSpec => {
  const t = wgslScalar(dtype);
  const param = t === 'f16' ? 'f32' : t;
  return {
    name: `fill/${dtype}`,
    code: `
${declare({ params: [['n', 'u32'], ['value', param]], write: [['y', t]] })}
${flatEntry(WORKGROUP, `  if (i >= p.n) { return; }\n  y[i] = ${t}(p.value);`)}`,
  };
});

/** zeros are a clearBuffer; other values a fill kernel. */
export function full(ctx: GpuContext, shape: readonly number[], value: number, dtype: DType): Tensor {
  if (value === 0 && !Object.is(value, -0)) return ctx.output(shape, dtype, { zero: true });
  const y = ctx.output(shape, dtype);
  const type = dtype === 'i32' ? 'i32' : dtype === 'u32' ? 'u32' : 'f32';
  forEachChunk(ctx, y.size, 4, (offset, length) => {
    ctx.dispatch(fillSpec(dtype), {
      read: [],
      write: [part(y, offset, length)],
      params: [
        ['u32', length],
        [type, value],
      ],
      workgroups: ctx.grid1d(length, WORKGROUP),
    });
  });
  return y;
}
