import { type DType, type Tensor, bytesPerElement } from '@rr/tensor';
import type { GpuContext } from '../context.js';
import type { ShaderSpec } from '../kernel.js';
import { roundUp4 } from '../storage.js';
import { declare, flatEntry, memo, wgslScalar } from '../wgsl/source.js';
import { forEachChunk, part } from './chunks.js';

const WORKGROUP = 256;

/** One kernel per (from, to) pair: WGSL value conversion (floats to integers truncate toward zero). */
const castSpec = memo((pair: `${string}>${string}`): ShaderSpec => {
  const [from, to] = pair.split('>') as [DType, DType];
  const [f, t] = [wgslScalar(from), wgslScalar(to)];
  return {
    name: `cast/${from}-to-${to}`,
    code: `
${declare({ params: [['n', 'u32']], read: [['x', f]], write: [['y', t]] })}
${flatEntry(WORKGROUP, `  if (i >= p.n) { return; }\n  y[i] = ${t}(x[i]);`)}`,
  };
});

export function cast(ctx: GpuContext, x: Tensor, dtype: DType): Tensor {
  const y = ctx.output(x.shape, dtype);
  if (dtype === x.dtype) {
    ctx.copy(x, 0, y, 0, roundUp4(x.size * bytesPerElement(dtype)));
    return y;
  }
  const widest = Math.max(bytesPerElement(x.dtype), bytesPerElement(dtype));
  forEachChunk(ctx, x.size, widest, (offset, length) => {
    ctx.dispatch(castSpec(`${x.dtype}>${dtype}`), {
      read: [part(x, offset, length)],
      write: [part(y, offset, length)],
      params: [['u32', length]],
      workgroups: ctx.grid1d(length, WORKGROUP),
    });
  });
  return y;
}
