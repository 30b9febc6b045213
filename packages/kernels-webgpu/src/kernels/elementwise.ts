import type { BinaryOp, Tensor, UnaryOp } from '@rr/tensor';
import type { KernelContext } from '../kernel.js';
import { elementShards, shardOf } from './shards.js';
import { defineKernel, flatEntry, memoize, variantOf } from './wgsl.js';

/**
 * Elementwise kernels: unary ops, binary ops (equal shapes or a single-element operand on either
 * side), affine. One source template per family; the op is a WGSL expression spliced in. Values
 * are computed in f32 whatever the storage type, and tensors larger than one binding run in shards.
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

/** y[i] = F(expr), where `v` is x[i] as f32 and `p.scale`, `p.shift` are the affine's. */
const mapKernel = memoize(
  (name: string, _expr: string) => name,
  (name: string, expr: string) =>
    defineKernel(name, { params: { n: 'u32', scale: 'f32', shift: 'f32' }, read: { x: 'F' }, write: { y: 'F' } }, () =>
      flatEntry(WORKGROUP, `  if (i >= p.n) { return; }\n  let v = f32(x[i]);\n  y[i] = F(${expr});`),
    ),
);

const binaryKernel = memoize(
  (op: BinaryOp) => op,
  (op: BinaryOp) =>
    defineKernel(`binary/${op}`, { params: { n: 'u32', a_one: 'u32', b_one: 'u32' }, read: { x: 'F', z: 'F' }, write: { y: 'F' } }, () =>
      flatEntry(
        WORKGROUP,
        `  if (i >= p.n) { return; }
  let a = f32(x[select(i, 0u, p.a_one == 1u)]);
  let b = f32(z[select(i, 0u, p.b_one == 1u)]);
  y[i] = F(${BINARY[op]});`,
      ),
    ),
);

function map(ctx: KernelContext, kernel: ReturnType<typeof mapKernel>, x: Tensor, scale = 0, shift = 0): Tensor {
  const y = ctx.output(x.shape, x.dtype);
  for (const s of elementShards(ctx, kernel.spec.name, x.size, [x.dtype])) {
    kernel.run(ctx, {
      params: { n: s.count, scale, shift },
      read: { x: shardOf(x, 1, s) },
      write: { y: shardOf(y, 1, s) },
      workgroups: ctx.grid1d(s.count, WORKGROUP),
      variant: variantOf(x),
    });
  }
  return y;
}

export function unary(ctx: KernelContext, op: UnaryOp, x: Tensor): Tensor {
  return map(ctx, mapKernel(`unary/${op}`, UNARY[op]), x);
}

export function affine(ctx: KernelContext, x: Tensor, scale: number, shift: number): Tensor {
  return map(ctx, mapKernel('affine', 'v * p.scale + p.shift'), x, scale, shift);
}

export function binary(ctx: KernelContext, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const big = a.size >= b.size ? a : b;
  const out = ctx.output(big.shape, a.dtype);
  const aOne = a.size === 1 && b.size !== 1;
  const bOne = b.size === 1 && !aOne;
  for (const s of elementShards(ctx, op, out.size, [a.dtype])) {
    binaryKernel(op).run(ctx, {
      params: { n: s.count, a_one: aOne ? 1 : 0, b_one: bOne ? 1 : 0 },
      read: { x: aOne ? a : shardOf(a, 1, s), z: bOne ? b : shardOf(b, 1, s) },
      write: { y: shardOf(out, 1, s) },
      workgroups: ctx.grid1d(s.count, WORKGROUP),
      variant: variantOf(a),
    });
  }
  return out;
}
