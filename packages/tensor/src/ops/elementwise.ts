import type { BinaryOp, UnaryOp } from '../backend.js';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { record } from '../autograd/tape.js';
import { scope } from '../scope.js';
import { RRError } from '../errors.js';
import { expectFloat, sameBackend, sameDType } from './check.js';

/**
 * Elementwise ops with their gradient rules side by side. Binary ops take equal shapes, or one
 * operand with a single element that is broadcast (a device-side scalar such as a clipping factor).
 */

/** A gradient rule over the upstream gradient and the op's operands (and output, for unary ops). */
type Rule = (g: Tensor, ...saved: Tensor[]) => (Tensor | undefined)[];

/**
 * `passThrough`: the rule only hands g on, possibly negated (add, sub), so for equal shapes there
 * is nothing to round and the half-precision widening is skipped.
 */
function binary(op: BinaryOp, a: Tensor, b: Tensor, rule?: Rule, passThrough = false): Tensor {
  sameBackend(op, a, b);
  sameDType(op, a, b);
  const broadcast = a.size === 1 || b.size === 1;
  if (!broadcast && (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i]))) {
    throw new RRError(
      'SHAPE_MISMATCH',
      `${op}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ; they must be equal, or one must have a single element.`,
    );
  }
  const out = a.backend.binary(op, a, b);
  if (!rule) return out;
  const exact = passThrough && !broadcast;
  return record(op, out, [a, b], (g) =>
    widened(exact ? undefined : a.dtype, [g, a, b], ([gw, aw, bw]) => rule(gw!, aw!, bw!).map((gi, i) => gi && unbroadcast(gi, i === 0 ? a : b))),
  );
}

/** Sums a gradient back down to the shape of a broadcast scalar operand. */
function unbroadcast(g: Tensor, input: Tensor): Tensor {
  if (g.size === input.size) return g.shape.length === input.shape.length ? g : g.view(input.shape);
  return g.backend.sum(g).view(input.shape);
}

/**
 * Runs a gradient rule of half-precision tensors in f32 and rounds each gradient once at the end
 * (mixed precision as in llm.c): otherwise every intermediate of the rule (g / b, g * a / b^2, the
 * mixed-sign terms a broadcast scalar's gradient sums) would round to 11 bits on its own.
 */
function widened(dtype: DType | undefined, tensors: Tensor[], rule: (wide: Tensor[]) => (Tensor | undefined)[]): (Tensor | undefined)[] {
  if (dtype !== 'f16' && dtype !== 'bf16') return rule(tensors);
  const backend = tensors[0]!.backend;
  return rule(tensors.map((t) => backend.cast(t, 'f32'))).map((g) => g && backend.cast(g, dtype));
}

const raw = {
  mul: (a: Tensor, b: Tensor) => a.backend.binary('mul', a, b),
  div: (a: Tensor, b: Tensor) => a.backend.binary('div', a, b),
  affine: (x: Tensor, s: number, t = 0) => x.backend.affine(x, s, t),
  unary: (op: UnaryOp, x: Tensor) => x.backend.unary(op, x),
};

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b, (g) => [g, g], true);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b, (g) => [g, raw.affine(g, -1)], true);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b, (g, a, b) => [raw.mul(g, b!), raw.mul(g, a!)]);
export const div = (a: Tensor, b: Tensor): Tensor =>
  binary('div', a, b, (g, a, b) => {
    const gOverB = raw.div(g, b!);
    return [gOverB, raw.affine(raw.mul(gOverB, raw.div(a!, b!)), -1)];
  });
/** No gradient: used by optimizers and clipping, never inside a differentiated model. */
export const maximum = (a: Tensor, b: Tensor): Tensor => binary('max', a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => binary('min', a, b);

/** x * scale + shift, host scalars. */
export function affine(x: Tensor, scale: number, shift = 0): Tensor {
  sameBackend('affine', x);
  expectFloat('affine', 'x', x);
  return record('affine', raw.affine(x, scale, shift), [x], (g) => [raw.affine(g, scale)]);
}
export const scale = (x: Tensor, s: number): Tensor => affine(x, s, 0);

/** Each unary op's derivative, in terms of the input x and the output y. */
const derivative: Record<UnaryOp, ((x: Tensor, y: Tensor) => Tensor) | undefined> = {
  neg: (x) => x.backend.full(x.shape, -1, x.dtype),
  abs: (x) => raw.unary('sign', x),
  sqrt: (_x, y) => raw.affine(raw.unary('reciprocal', y), 0.5),
  rsqrt: (_x, y) => raw.affine(raw.mul(y, raw.mul(y, y)), -0.5),
  square: (x) => raw.affine(x, 2),
  exp: (_x, y) => y,
  log: (x) => raw.unary('reciprocal', x),
  reciprocal: (_x, y) => raw.affine(raw.mul(y, y), -1),
  sigmoid: (_x, y) => raw.mul(y, raw.affine(y, -1, 1)),
  // silu'(x) = s(x) * (1 + x * (1 - s(x)))
  silu: (x) => {
    const s = raw.unary('sigmoid', x);
    return raw.mul(s, raw.affine(raw.mul(x, raw.affine(s, -1, 1)), 1, 1));
  },
  sign: undefined,
};

function unary(op: UnaryOp, x: Tensor): Tensor {
  sameBackend(op, x);
  expectFloat(op, 'x', x);
  const y = raw.unary(op, x);
  const d = derivative[op];
  return record(op, y, [x], (g) => widened(x.dtype, [g, x, y], ([gw, xw, yw]) => [d ? raw.mul(gw!, d(xw!, yw!)) : x.backend.zeros(x.shape, gw!.dtype)]));
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const silu = (x: Tensor): Tensor => unary('silu', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);

/** a + w * (b - a), the optimizers' moving average (no gradient). */
export function lerp(a: Tensor, b: Tensor, w: number): Tensor {
  sameBackend('lerp', a, b);
  return scope(() => a.backend.binary('add', a, raw.affine(a.backend.binary('sub', b, a), w)));
}
