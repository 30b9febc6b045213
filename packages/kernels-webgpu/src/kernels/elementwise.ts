import type { BinaryOp, Tensor, UnaryOp } from '@rr/tensor';
import type { GpuContext } from '../context.js';
import type { Param, ShaderSpec, ShaderVariant } from '../kernel.js';
import { declare, flatEntry, memo } from '../wgsl/source.js';
import { forEachChunk, part } from './chunks.js';

/**
 * Elementwise kernels: unary ops, binary ops (equal shapes or a single-element operand on either
 * side), affine. One source template per family; the op is a WGSL expression spliced in. Values
 * are computed in f32 whatever the storage type, and tensors larger than one binding run in chunks.
 */
const WORKGROUP = 256;

const UNARY: Record<UnaryOp, string> = {
  neg: '-v',
  abs: 'abs(v)',
  sqrt: 'sqrt(v)',
  rsqrt: 'inverseSqrt(v)',
  square: 'v * v',
  exp: 'exp(v)',
  log: 'log(v)',
  reciprocal: '1.0 / v',
  sigmoid: '1.0 / (1.0 + exp(-v))',
  // v / (1 + e^-v) rather than v * sigmoid(v): one division, and exact 0 * inf never occurs
  silu: 'v / (1.0 + exp(-v))',
  sign: 'sign(v)',
};

const BINARY: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  max: 'max(a, b)',
  min: 'min(a, b)',
};

/** One flat-index kernel computing `expr` of `v` (x[i] as f32) into y[i]. */
function mapSpec(name: string, expr: string, params: [string, 'u32' | 'f32'][]): ShaderSpec {
  return {
    name,
    code: ({ float: F }: ShaderVariant) => `
${declare({ params: [['n', 'u32'], ...params], read: [['x', F]], write: [['y', F]] })}
${flatEntry(WORKGROUP, `  if (i >= p.n) { return; }\n  let v = f32(x[i]);\n  y[i] = ${F}(${expr});`)}`,
  };
}

const unarySpec = memo((op: UnaryOp) => mapSpec(`unary/${op}`, UNARY[op], []));
const AFFINE = mapSpec('affine', 'v * p.scale + p.shift', [['scale', 'f32'], ['shift', 'f32']]);

const binarySpec = memo(
  (op: BinaryOp): ShaderSpec => ({
    name: `binary/${op}`,
    code: ({ float: F }) => `
${declare({ params: [['n', 'u32'], ['a_one', 'u32'], ['b_one', 'u32']], read: [['x', F], ['z', F]], write: [['y', F]] })}
${flatEntry(
  WORKGROUP,
  `  if (i >= p.n) { return; }
  let a = f32(x[select(i, 0u, p.a_one == 1u)]);
  let b = f32(z[select(i, 0u, p.b_one == 1u)]);
  y[i] = ${F}(${BINARY[op]});`,
)}`,
  }),
);

function map(ctx: GpuContext, spec: ShaderSpec, x: Tensor, extra: readonly Param[] = []): Tensor {
  const y = ctx.output(x.shape, x.dtype);
  forEachChunk(ctx, x.size, 4, (offset, length) => {
    ctx.dispatch(spec, {
      read: [part(x, offset, length)],
      write: [part(y, offset, length)],
      params: [['u32', length], ...extra],
      workgroups: ctx.grid1d(length, WORKGROUP),
    });
  });
  return y;
}

export function unary(ctx: GpuContext, op: UnaryOp, x: Tensor): Tensor {
  return map(ctx, unarySpec(op), x);
}

export function affine(ctx: GpuContext, x: Tensor, scale: number, shift: number): Tensor {
  return map(ctx, AFFINE, x, [['f32', scale], ['f32', shift]]);
}

export function binary(ctx: GpuContext, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const big = a.size >= b.size ? a : b;
  const out = ctx.output(big.shape, a.dtype);
  const aOne = a.size === 1 && b.size !== 1;
  const bOne = b.size === 1 && !aOne;
  forEachChunk(ctx, out.size, 4, (offset, length) => {
    ctx.dispatch(binarySpec(op), {
      read: [aOne ? a : part(a, offset, length), bOne ? b : part(b, offset, length)],
      write: [part(out, offset, length)],
      params: [
        ['u32', length],
        ['u32', aOne ? 1 : 0],
        ['u32', bOne ? 1 : 0],
      ],
      workgroups: ctx.grid1d(length, WORKGROUP),
    });
  });
  return out;
}
