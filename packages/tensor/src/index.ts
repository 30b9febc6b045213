export { RRError, isRRError } from './errors.js';
export * from './dtype.js';
export { Tensor, resolveShape } from './tensor.js';
export type {
  Backend,
  CustomKernel,
  UniformWord,
  Storage,
  UnaryOp,
  BinaryOp,
  MatmulOptions,
  RopeOptions,
  AttentionOptions,
  Llama3RopeScaling,
} from './backend.js';
export { memoryStats, type MemoryStats } from './storage-lifetime.js';
export { scope, keep, scopeDepth } from './scope.js';
export { checkAllocation, checkUpload, checkCast, checkAssign, checkWriteRange, checkStoredDType } from './validate.js';
export { grad, noGrad, detach, requireGrad, isGradEnabled, record, type GradNode } from './autograd/tape.js';
export * as ops from './ops/index.js';
export * as nograd from './nograd.js';
export { ropeInverseFrequencies } from './ops/rope.js';
export { CpuBackend, createCpuBackend, type CpuBackendOptions } from './cpu/backend.js';
export {
  openSafetensors,
  parseSafetensors,
  serializeSafetensors,
  writeSafetensors,
  type SafetensorsFile,
  type SafetensorsDType,
  type SafetensorsFormatDType,
  type TensorInfo,
  type TensorToWrite,
  type RawTensor,
} from './io/safetensors.js';
export { openModelWeights, writeShardedSafetensors, type TensorSource, type ShardedWriteOptions } from './io/sharded.js';
export { f16ToF32, f32ToF16, bf16ToF32, f32ToBf16 } from './io/dtype-conversion.js';
export { writeFileAtomically } from './io/atomic-write.js';
export { fsError, makeDirectory, statPath, userPathError } from './io/fs-errors.js';
export { Rng } from './random/index.js';
export { yieldToEventLoop } from './event-loop.js';
