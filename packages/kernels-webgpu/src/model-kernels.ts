import type { Backend } from '@rr/tensor';
import { webgpuError } from './errors.js';
import type { KernelContext } from './kernel.js';
import * as written from './kernels/model/index.js';

/**
 * The model ops' kernels (rmsnorm, RoPE, attention, SwiGLU, embedding, cross-entropy, forward and
 * backward) live in src/kernels/model/, written against kernel.ts. Each is a function of the
 * context followed by the Backend method's own arguments, returning what the method returns.
 * The backend looks them up by name, so a kernel starts running as soon as it is exported there.
 */
export const MODEL_OPS = [
  'rmsnorm',
  'rmsnormBackward',
  'rope',
  'swiglu',
  'swigluBackward',
  'attention',
  'attentionBackward',
  'embedding',
  'embeddingBackward',
  'crossEntropy',
  'crossEntropyBackward',
] as const;
export type ModelOp = (typeof MODEL_OPS)[number];

type KernelFor<M extends ModelOp> = Backend[M] extends (...args: infer A) => infer R ? (ctx: KernelContext, ...args: A) => R : never;
export type ModelKernels = { [M in ModelOp]: KernelFor<M> };

const available: Partial<ModelKernels> = written as Partial<ModelKernels>;

/** The kernel for `op`, or an RRError saying that it is not written yet. */
export function modelKernel<M extends ModelOp>(op: M): ModelKernels[M] {
  const kernel = available[op];
  if (!kernel) {
    throw webgpuError(
      'WEBGPU_KERNEL_MISSING',
      `${op} has no WebGPU kernel yet (src/kernels/model/ does not export one); run it on the cpu backend (--backend cpu) until it lands.`,
      { op },
    );
  }
  return kernel as ModelKernels[M];
}

/** Which model ops have kernels (for `rr info` and tests). */
export function modelKernelsAvailable(): Record<ModelOp, boolean> {
  return Object.fromEntries(MODEL_OPS.map((op) => [op, typeof available[op] === 'function'])) as Record<ModelOp, boolean>;
}
