import type { BinaryOp, UnaryOp } from '../../backend.js';
import { heapOf, isHeapBinaryOp } from '../wasm/heap.js';
import { type FloatArray, like } from './types.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  exp: Math.exp,
  log: Math.log,
  reciprocal: (x) => 1 / x,
  sigmoid,
  silu: (x) => x * sigmoid(x),
  sign: Math.sign,
};

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: Math.max,
  min: Math.min,
};

export function unary(op: UnaryOp, x: FloatArray): FloatArray {
  const out = like(x, x.length);
  // square runs over every gradient for the clipping norm: a loop of its own (see `binary`)
  if (op === 'square') for (let i = 0; i < x.length; i++) out[i] = x[i]! * x[i]!;
  else {
    const f = UNARY[op];
    for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  }
  return out;
}

/**
 * Equal lengths, or one side of length 1 broadcast (index stride 0). One loop per op: through a
 * shared `f(a, b)` call site, which sees every op and so is never inlined, these loops run ~6x
 * slower, and they are the gradient accumulations and optimizer updates of every training step.
 */
export function binary(op: BinaryOp, a: FloatArray, b: FloatArray): FloatArray {
  const n = Math.max(a.length, b.length);
  const out = like(a, n);
  const sa = a.length === n ? 1 : 0;
  const sb = b.length === n ? 1 : 0;
  const heap = sa && sb ? heapOf(a) : undefined;
  if (heap && isHeapBinaryOp(op) && heap.holds(b, out)) {
    heap.binary(op, a as Float32Array, b as Float32Array, out as Float32Array);
    return out;
  }
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++) out[i] = a[i * sa]! + b[i * sb]!;
      break;
    case 'sub':
      for (let i = 0; i < n; i++) out[i] = a[i * sa]! - b[i * sb]!;
      break;
    case 'mul':
      for (let i = 0; i < n; i++) out[i] = a[i * sa]! * b[i * sb]!;
      break;
    case 'div':
      for (let i = 0; i < n; i++) out[i] = a[i * sa]! / b[i * sb]!;
      break;
    default: {
      const f = BINARY[op];
      for (let i = 0; i < n; i++) out[i] = f(a[i * sa]!, b[i * sb]!);
    }
  }
  return out;
}

export function affine(x: FloatArray, scale: number, shift: number): FloatArray {
  const out = like(x, x.length);
  const heap = heapOf(x);
  if (heap?.holds(out)) {
    heap.affine(x as Float32Array, out as Float32Array, scale, shift);
    return out;
  }
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * scale + shift;
  return out;
}

/** Kahan-compensated sum in f64, so that long f32 reductions keep their accuracy. */
export function sum(x: FloatArray): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    const y = x[i]! - c;
    const t = s + y;
    c = t - s - y;
    s = t;
  }
  return s;
}
