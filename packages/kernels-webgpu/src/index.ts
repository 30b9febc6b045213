/**
 * @rr/kernels-webgpu: the WebGPU backend for rr on Dawn (npm `webgpu`).
 *
 *   const backend = await createWebGPUBackend();
 *   ... use it like any Backend of @rr/tensor ...
 *   backend.destroy();
 */
export { createWebGPUBackend, type WebGPUBackendOptions } from './create.js';
export { WebGPUBackend, type BackendPoolStats } from './backend.js';
export { pickAdapter, describeAdapter, isSoftwareAdapter, type AdapterReport, type DawnBackend, type WebGPUFeature, USEFUL_FEATURES } from './adapter.js';
export { dawnInstance } from './dawn.js';
export type { WebGPUErrorCode } from './errors.js';
export type { PoolStats } from './buffer-pool.js';
export type { GpuStorage } from './storage.js';
export type { KernelContext, GpuFeatures, ShaderSpec, ShaderVariant, TensorRange, DispatchArgs, Param } from './kernel.js';
export type { MatmulKernelKind } from './kernels/matmul/index.js';
