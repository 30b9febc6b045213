import type { DType, Tensor } from '@rr/tensor';

/**
 * The contract between the WebGPU backend's machinery (device, buffer pool, command encoding) and
 * its kernels. A kernel is a TypeScript function that validates nothing (the ops layer did),
 * allocates its outputs through the context and records one or more dispatches:
 *
 *   export function swiglu(ctx: KernelContext, gate: Tensor, up: Tensor): Tensor {
 *     const out = ctx.output(gate.shape, gate.dtype);
 *     ctx.dispatch(SWIGLU, { read: [gate, up], write: [out], params: [['u32', gate.size]],
 *                            workgroups: ctx.grid1d(gate.size, 256) });
 *     return out;
 *   }
 *
 * Dispatches are appended to the backend's pending command encoder and submitted together (one
 * submission per step); the context owns pipelines (cached by `ShaderSpec.name` + variant) and
 * the uniform buffer that carries `params`.
 */
export interface ShaderSpec {
  /** Unique, stable name: the pipeline cache key and what errors name. */
  readonly name: string;
  /**
   * WGSL source. Bindings: group 0, `@binding(0)` is the params uniform (a struct of the
   * declared params, in order, each 4 bytes), then the `read` bindings (var<storage, read>),
   * then the `write` bindings (var<storage, read_write>), in order.
   * `code` may be a function of the dtype so one source serves f32 and f16 storage.
   * For the f16 variant the backend prepends `enable f16;` when the source lacks it.
   */
  readonly code: string | ((variant: ShaderVariant) => string);
  readonly entryPoint?: string;
}

export interface ShaderVariant {
  /** Storage element type of float tensors: 'f32', or 'f16' where `shader-f16` is on. */
  readonly float: 'f32' | 'f16';
}

/** A binding of part of a tensor (elements [offset, offset + length)): how big tensors are sharded. */
export interface TensorRange {
  readonly tensor: Tensor;
  readonly offset: number;
  readonly length: number;
}

export type Param = readonly ['u32' | 'i32' | 'f32', number];

export interface DispatchArgs {
  read: readonly (Tensor | TensorRange)[];
  write: readonly (Tensor | TensorRange)[];
  params?: readonly Param[];
  /** Workgroup counts (x, y, z); each at most the device's maxComputeWorkgroupsPerDimension. */
  workgroups: readonly [number, number?, number?];
  /** Float storage variant; defaults to the first float input's dtype. */
  variant?: ShaderVariant;
}

/** What the device offers beyond core WebGPU, as kernels choose variants by it. */
export interface GpuFeatures {
  readonly f16: boolean;
  readonly subgroups: boolean;
  readonly timestampQuery: boolean;
}

export interface KernelContext {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly features: GpuFeatures;
  /** A pooled output tensor (contents undefined unless `zero`). */
  output(shape: readonly number[], dtype: DType, options?: { zero?: boolean }): Tensor;
  dispatch(shader: ShaderSpec, args: DispatchArgs): void;
  /** A byte copy between tensors, in order with the dispatches (offsets and size multiples of 4). */
  copy(src: Tensor, srcOffset: number, dst: Tensor, dstOffset: number, bytes: number): void;
  /** Workgroups covering `n` invocations of size `workgroupSize`, folded into (x, y) past 65535. */
  grid1d(n: number, workgroupSize: number): readonly [number, number];
}
