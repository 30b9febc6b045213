/**
 * The model ops of the WebGPU backend, forward and backward, as WGSL kernels over a
 * `KernelContext`. Each takes the context first, then the arguments of the `Backend` method of
 * the same name, and returns what that method returns.
 */
export { rmsnorm, rmsnormBackward } from './rmsnorm.js';
export { rope } from './rope.js';
export { swiglu, swigluBackward } from './swiglu.js';
export { attention, attentionBackward } from './attention.js';
export { embedding, embeddingBackward } from './embedding.js';
export { crossEntropy, crossEntropyBackward } from './cross-entropy.js';
