import type { AttentionOptions, BinaryOp, MatmulOptions, RopeOptions, UnaryOp } from '../backend.js';
import type { Tensor } from '../tensor.js';
import * as ops from '../ops/index.js';
import * as ref from './reference.js';
import type { RefTensor } from './reference.js';

/**
 * The same vocabulary of ops over two kinds of values: backend tensors (through the autograd ops
 * in src/ops, so the gradient rules are exercised too) and f64 reference arrays. A conformance
 * case or a composite model is written once, generically, and evaluated with both; a case can
 * therefore never compute something slightly different on the two sides.
 */
export interface OpSet<T> {
  unary(op: UnaryOp, x: T): T;
  binary(op: BinaryOp, a: T, b: T): T;
  affine(x: T, scale: number, shift: number): T;
  sum(x: T): T;
  mean(x: T): T;
  /** a + w * (b - a): the optimizers' moving average (no gradient). */
  lerp(a: T, b: T, w: number): T;
  reshape(x: T, shape: readonly number[]): T;
  transpose(x: T): T;
  concat(xs: readonly T[]): T;
  slice(x: T, start: number, end: number): T;
  matmul(a: T, b: T, options?: MatmulOptions): T;
  rmsnorm(x: T, weight: T, eps: number): T;
  rope(x: T, options: RopeOptions): T;
  swiglu(gate: T, up: T): T;
  embedding(ids: T, table: T): T;
  attention(q: T, k: T, v: T, options: AttentionOptions): T;
  crossEntropy(logits: T, labels: T, ignoreIndex: number): T;
  /**
   * The log-sum-exp that the attention and cross-entropy kernels return beside their result. The
   * autograd ops keep it private (for the backward), so this reads it from the backend kernel
   * directly; it is forward-only.
   */
  attentionLse(q: T, k: T, v: T, options: AttentionOptions): T;
  crossEntropyLse(logits: T, labels: T, ignoreIndex: number): T;
}

const unaryOps: Record<UnaryOp, (x: Tensor) => Tensor> = {
  neg: ops.neg,
  abs: ops.abs,
  sqrt: ops.sqrt,
  rsqrt: ops.rsqrt,
  square: ops.square,
  exp: ops.exp,
  log: ops.log,
  reciprocal: ops.reciprocal,
  sigmoid: ops.sigmoid,
  silu: ops.silu,
  sign: ops.sign,
};

const binaryOps: Record<BinaryOp, (a: Tensor, b: Tensor) => Tensor> = {
  add: ops.add,
  sub: ops.sub,
  mul: ops.mul,
  div: ops.div,
  max: ops.maximum,
  min: ops.minimum,
};

export const tensorOps: OpSet<Tensor> = {
  unary: (op, x) => unaryOps[op](x),
  binary: (op, a, b) => binaryOps[op](a, b),
  affine: ops.affine,
  sum: ops.sum,
  mean: ops.mean,
  lerp: ops.lerp,
  reshape: ops.reshape,
  transpose: ops.transpose,
  concat: ops.concat,
  slice: ops.slice,
  matmul: ops.matmul,
  rmsnorm: ops.rmsnorm,
  rope: ops.rope,
  swiglu: ops.swiglu,
  embedding: ops.embedding,
  attention: ops.attention,
  crossEntropy: ops.crossEntropy,
  attentionLse: (q, k, v, options) => {
    const { out, lse } = q.backend.attention(q, k, v, options);
    out.dispose();
    return lse;
  },
  crossEntropyLse: (logits, labels, ignoreIndex) => {
    const { loss, lse } = logits.backend.crossEntropy(logits, labels, ignoreIndex);
    loss.dispose();
    return lse;
  },
};

export const referenceOps: OpSet<RefTensor> = {
  unary: ref.unary,
  binary: ref.binary,
  affine: ref.affine,
  sum: ref.sum,
  mean: ref.mean,
  lerp: (a, b, w) => ref.binary('add', a, ref.affine(ref.binary('sub', b, a), w, 0)),
  reshape: (x, shape) => ({ shape: [...shape], data: x.data }),
  transpose: ref.transpose,
  concat: ref.concat,
  slice: ref.slice,
  matmul: ref.matmul,
  rmsnorm: ref.rmsnorm,
  rope: ref.rope,
  swiglu: ref.swiglu,
  embedding: ref.embedding,
  attention: (q, k, v, options) => ref.attention(q, k, v, options).out,
  crossEntropy: (logits, labels, ignoreIndex) => ref.crossEntropy(logits, labels, ignoreIndex).loss,
  attentionLse: (q, k, v, options) => ref.attention(q, k, v, options).lse,
  crossEntropyLse: (logits, labels, ignoreIndex) => ref.crossEntropy(logits, labels, ignoreIndex).lse,
};
