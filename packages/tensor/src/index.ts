export { RRError, isRRError } from './errors.js';
export * from './dtype.js';
export { Tensor, resolveShape } from './tensor.js';
export type { Backend, Storage, UnaryOp, BinaryOp, MatmulOptions, RopeOptions, AttentionOptions, Llama3RopeScaling } from './backend.js';
export { scope, keep, scopeDepth } from './scope.js';
export { grad, noGrad, detach, requireGrad, isGradEnabled, type GradNode } from './autograd/tape.js';
export * as ops from './ops/index.js';
export { ropeInverseFrequencies } from './ops/rope.js';
export { CpuBackend, createCpuBackend, type CpuBackendOptions } from './cpu/backend.js';
