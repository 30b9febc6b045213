/**
 * @rr/js-kernels: user kernels written in plain JavaScript (gpu.js's dialect) as rr ops, on every
 * backend that runs user kernels (CPU: the function itself; WebGPU: gpu.js's WGSL translation, on
 * the backend's own device and buffers). See README.md.
 */
export { jsKernel, F32_EXACT_INTEGERS, type JsKernel, type JsKernelOptions, type KernelFunction, type KernelThis, type KernelArg } from './js-kernel.js';
