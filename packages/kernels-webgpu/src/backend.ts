import {
  type AttentionOptions,
  type Backend,
  type BinaryOp,
  type CustomKernel,
  type DType,
  type HostArray,
  type MatmulOptions,
  type RopeOptions,
  type Tensor,
  type UnaryOp,
  bytesPerElement,
  checkAllocation,
  checkAssign,
  checkCast,
  checkUpload,
  checkWriteRange,
} from '@rr/tensor';
import type { AdapterReport } from './adapter.js';
import type { PoolStats } from './buffer-pool.js';
import { CompletionWait } from './completion-wait.js';
import { runCustomKernel } from './custom-kernel.js';
import { GpuContext, type LimitCaps } from './context.js';
import { fromGPUError, webgpuError } from './errors.js';
import type { GpuFeatures, KernelContext } from './kernel.js';
import { cast } from './kernels/cast.js';
import { concat, slice, writeRange } from './kernels/copy-rows.js';
import { affine, binary, unary } from './kernels/elementwise.js';
import { full } from './kernels/fill.js';
import { type MatmulKernelKind, matmul } from './kernels/matmul/index.js';
import { sum } from './kernels/sum.js';
import { transpose } from './kernels/transpose.js';
import {
  attention,
  attentionBackward,
  crossEntropy,
  crossEntropyBackward,
  embedding,
  embeddingBackward,
  rmsnorm,
  rmsnormBackward,
  rope,
  swiglu,
  swigluBackward,
} from './kernels/model/index.js';
import { roundUp4 } from './storage.js';
import { Transfers } from './transfer.js';

export interface WebGPUBackendInit {
  device: GPUDevice;
  /** destroy() also destroys the device. */
  ownsDevice: boolean;
  /** The adapter, when the backend picked it (absent for an injected device). */
  adapter?: AdapterReport | undefined;
  matmulKernel: MatmulKernelKind;
  /** Limits the kernels see below the device's (tests exercise the paths of big tensors with them). */
  limitCaps?: LimitCaps | undefined;
  /** Sleep through most of each wait for the GPU instead of polling (CPU-emulated adapters; see completion-wait.ts). */
  sleepWhileWaiting: boolean;
}

/** Everything GPU-side the pool statistics cover: tensor buffers, read-back staging buffers, params buffers. */
export interface BackendPoolStats extends PoolStats {
  staging: PoolStats;
  paramBuffers: number;
}

/**
 * The WebGPU backend (see README.md): tensors live in pooled GPU buffers, kernels are recorded into
 * one pending command encoder and submitted together at `read()`, `sync()` or `flush()`.
 * GPU errors are asynchronous: they are thrown, as RRErrors naming the op or kernel, by the next
 * `read()`, `sync()` or `flush()`; an op on a lost device or a destroyed backend throws at once.
 */
export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  readonly dtypes: readonly DType[];
  readonly device: GPUDevice;
  readonly adapter: AdapterReport | undefined;
  readonly features: GpuFeatures;
  readonly matmulKernel: MatmulKernelKind;
  readonly #ctx: GpuContext;
  readonly #transfers: Transfers;
  readonly #ownsDevice: boolean;
  readonly #onError: (e: Event) => void;
  #destroyed = false;

  constructor(init: WebGPUBackendInit) {
    const device = init.device;
    this.device = device;
    this.adapter = init.adapter;
    this.#ownsDevice = init.ownsDevice;
    this.matmulKernel = init.matmulKernel;
    this.features = {
      f16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
    };
    this.dtypes = this.features.f16 ? ['f32', 'f16', 'i32', 'u32'] : ['f32', 'i32', 'u32'];
    this.#ctx = new GpuContext(this, device, this.features, init.limitCaps ?? {}, new CompletionWait(init.sleepWhileWaiting));
    this.#transfers = new Transfers(this.#ctx);
    const ctx = this.#ctx;
    this.#onError = (e) => ctx.errors.add(fromGPUError((e as GPUUncapturedErrorEvent).error, `${ctx.op || 'webgpu'} (reported outside an error scope)`));
    device.addEventListener('uncapturederror', this.#onError);
    void device.lost.then((info) =>
      ctx.kill(() =>
        webgpuError(
          'WEBGPU_DEVICE_LOST',
          `the GPU device was lost (${info.reason}: ${info.message || 'no message'})${info.reason === 'destroyed' ? ', destroyed outside this backend' : ''}; create a new backend.`,
          { reason: info.reason },
        ),
      ),
    );
  }

  /**
   * The kernel context, for running your own ShaderSpecs on this backend's tensors (see kernel.ts);
   * `op` names them in errors.
   */
  kernels(op = 'custom kernel'): KernelContext {
    return this.#enter(op);
  }

  /** The largest storage binding kernels use, in bytes. */
  get bindingLimit(): number {
    return this.#ctx.bindingLimit;
  }

  /** The names of the kernels compiled so far (which specialisation a shape picked). */
  compiledKernels(): string[] {
    return this.#ctx.pipelines.names();
  }

  #enter(op: string): GpuContext {
    this.#ctx.enter(op);
    return this.#ctx;
  }

  #dtypeAdvice(dtype: DType): string {
    return `${dtype === 'f16' ? " (the adapter lacks 'shader-f16')" : ''}; cast to f32 on the host first`;
  }

  // ---- memory ----

  upload(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
    this.#enter('upload');
    checkUpload(this, data, shape, dtype, this.#dtypeAdvice(dtype));
    return this.#transfers.upload(data, shape, dtype);
  }

  zeros(shape: readonly number[], dtype: DType): Tensor {
    return this.#full(shape, 0, dtype, 'zeros');
  }

  full(shape: readonly number[], value: number, dtype: DType): Tensor {
    return this.#full(shape, value, dtype, 'full');
  }

  #full(shape: readonly number[], value: number, dtype: DType, op: string): Tensor {
    const ctx = this.#enter(op);
    checkAllocation(this, shape, dtype, op, this.#dtypeAdvice(dtype));
    return full(ctx, shape, value, dtype);
  }

  async read(t: Tensor): Promise<HostArray> {
    this.#enter('read');
    t.assertLive('read');
    return this.#transfers.read(t);
  }

  assign(dst: Tensor, src: Tensor): void {
    const ctx = this.#enter('assign');
    checkAssign(dst, src);
    ctx.copy(src, 0, dst, 0, roundUp4(src.size * bytesPerElement(src.dtype)));
  }

  writeRange(dst: Tensor, src: Tensor, axis: number, start: number): void {
    const ctx = this.#enter('writeRange');
    checkWriteRange(dst, src, axis, start);
    writeRange(ctx, dst, src, axis, start);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    const ctx = this.#enter('cast');
    checkCast(this, x, dtype, this.#dtypeAdvice(dtype));
    return cast(ctx, x, dtype);
  }

  // ---- elementwise, reductions, shape ----

  unary(op: UnaryOp, x: Tensor): Tensor {
    return unary(this.#enter(op), op, x);
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    return binary(this.#enter(op), op, a, b);
  }

  affine(x: Tensor, scale: number, shift: number): Tensor {
    return affine(this.#enter('affine'), x, scale, shift);
  }

  sum(x: Tensor): Tensor {
    return sum(this.#enter('sum'), x);
  }

  transpose(x: Tensor): Tensor {
    return transpose(this.#enter('transpose'), x);
  }

  concat(xs: readonly Tensor[]): Tensor {
    return concat(this.#enter('concat'), xs);
  }

  slice(x: Tensor, start: number, end: number): Tensor {
    return slice(this.#enter('slice'), x, start, end);
  }

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    return matmul(this.#enter('matmul'), this.matmulKernel, a, b, options);
  }

  // ---- model ops ----

  embedding(ids: Tensor, table: Tensor): Tensor {
    return embedding(this.#enter('embedding'), ids, table);
  }

  embeddingBackward(ids: Tensor, dy: Tensor, vocabSize: number): Tensor {
    return embeddingBackward(this.#enter('embeddingBackward'), ids, dy, vocabSize);
  }

  rmsnorm(x: Tensor, weight: Tensor, eps: number): Tensor {
    return rmsnorm(this.#enter('rmsnorm'), x, weight, eps);
  }

  rmsnormBackward(x: Tensor, weight: Tensor, dy: Tensor, eps: number): { dx: Tensor; dWeight: Tensor } {
    return rmsnormBackward(this.#enter('rmsnormBackward'), x, weight, dy, eps);
  }

  rope(x: Tensor, options: RopeOptions): Tensor {
    return rope(this.#enter('rope'), x, options);
  }

  swiglu(gate: Tensor, up: Tensor): Tensor {
    return swiglu(this.#enter('swiglu'), gate, up);
  }

  swigluBackward(gate: Tensor, up: Tensor, dy: Tensor): { dGate: Tensor; dUp: Tensor } {
    return swigluBackward(this.#enter('swigluBackward'), gate, up, dy);
  }

  attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): { out: Tensor; lse: Tensor } {
    return attention(this.#enter('attention'), q, k, v, options);
  }

  attentionBackward(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    out: Tensor,
    lse: Tensor,
    dOut: Tensor,
    options: AttentionOptions,
  ): { dq: Tensor; dk: Tensor; dv: Tensor } {
    return attentionBackward(this.#enter('attentionBackward'), q, k, v, out, lse, dOut, options);
  }

  crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex: number): { loss: Tensor; lse: Tensor } {
    return crossEntropy(this.#enter('crossEntropy'), logits, labels, ignoreIndex);
  }

  crossEntropyBackward(logits: Tensor, labels: Tensor, lse: Tensor, dLoss: Tensor, ignoreIndex: number): Tensor {
    return crossEntropyBackward(this.#enter('crossEntropyBackward'), logits, labels, lse, dLoss, ignoreIndex);
  }

  // ---- user kernels: custom-kernel.ts ----

  runCustomKernel(kernel: CustomKernel, inputs: readonly Tensor[], output: { shape: readonly number[]; dtype: DType }): Tensor {
    return runCustomKernel(this.#enter(`custom kernel ${kernel.name}`), kernel, inputs, output);
  }

  // ---- lifecycle ----

  /** Submits the pending commands without waiting for them (GPU errors found so far are thrown). */
  flush(): void {
    const ctx = this.#enter('flush');
    ctx.stream.flush();
    ctx.errors.throwFound();
  }

  async sync(): Promise<void> {
    const ctx = this.#enter('sync');
    ctx.stream.flush();
    await ctx.completion.beforeWait();
    await this.device.queue.onSubmittedWorkDone();
    ctx.completion.completed();
    await ctx.errors.settle();
    ctx.enter('sync'); // the device may have been lost meanwhile
  }

  destroy(): void {
    const ctx = this.#ctx;
    if (this.#destroyed) return;
    this.#destroyed = true;
    ctx.kill(() => webgpuError('BACKEND_DESTROYED', `used after destroy(); create a new backend.`));
    this.device.removeEventListener('uncapturederror', this.#onError);
    this.#transfers.destroy();
    ctx.pool.destroyAll();
    ctx.stream.destroy();
    if (this.#ownsDevice) this.device.destroy();
  }

  /** Buffer pool counters: a training step after the first should add no `allocations`. */
  poolStats(): BackendPoolStats {
    const tensors = this.#ctx.pool.stats();
    const staging = this.#transfers.staging.stats();
    const paramBuffers = this.#ctx.stream.uniforms.blocks;
    return {
      ...tensors,
      allocations: tensors.allocations + staging.allocations + paramBuffers,
      reuses: tensors.reuses + staging.reuses,
      staging,
      paramBuffers,
    };
  }

  /** Frees the pool's idle buffers (after a phase that used shapes it will not use again). */
  trim(): void {
    const ctx = this.#enter('trim');
    ctx.stream.flush();
    ctx.pool.trim();
  }
}
