import type { Storage, Tensor } from '@rr/tensor';
import type { PooledBuffer } from './buffer-pool.js';

/** A tensor's memory on the GPU: a pooled buffer, of which the first `byteLength` bytes are the tensor's. */
export interface GpuStorage extends Storage {
  readonly buffer: GPUBuffer;
  readonly byteLength: number;
  readonly pooled: PooledBuffer;
}

/** The dtypes the WebGPU backend stores; f16 only where the device has `shader-f16`. */
export type GpuDType = 'f32' | 'f16' | 'i32' | 'u32';

export function gpuStorage(t: Tensor): GpuStorage {
  return t.storage as GpuStorage;
}

/** Copies, clears, writeBuffer and storage bindings all work in multiples of 4 bytes. */
export function roundUp4(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}
