import { type Backend, type DType, Tensor, bytesPerElement, isFloat, sizeOf } from '@rr/tensor';
import { limitsRecord } from './adapter.js';
import { BufferPool, type PooledBuffer, bucketSize } from './buffer-pool.js';
import { CommandStream } from './commands.js';
import type { CompletionWait } from './completion-wait.js';
import { ErrorLog, webgpuError } from './errors.js';
import type { DispatchArgs, GpuFeatures, KernelContext, ShaderSpec, ShaderVariant, TensorRange } from './kernel.js';
import { PipelineCache } from './pipelines.js';
import { type GpuStorage, gpuStorage, roundUp4 } from './storage.js';

const TENSOR_USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * Limits lowered below the device's (or, for the offset alignment, raised above it), so that
 * small tensors take the paths of big ones: sharding, smaller attention tiles, aligned ranges.
 * WebGPU cannot grant a device less than its default limits, so the backend applies them itself.
 */
export type LimitCaps = Partial<Record<'maxStorageBufferBindingSize' | 'minStorageBufferOffsetAlignment' | 'maxComputeWorkgroupStorageSize', number>>;

/**
 * The machinery kernels run on (the KernelContext of kernel.ts): pooled tensor buffers, the
 * pending command stream, pipelines and the error log.
 */
export class GpuContext implements KernelContext {
  readonly limits: GPUSupportedLimits;
  readonly pool: BufferPool;
  readonly stream: CommandStream;
  readonly pipelines: PipelineCache;
  readonly errors: ErrorLog;
  /** The largest storage binding kernels may use: the device's limit, or a lower cap (tests of sharding). */
  readonly bindingLimit: number;
  /** Storage bindings must start at multiples of this many bytes. */
  readonly bindingAlignment: number;
  /** The op being recorded: what allocation and dispatch errors name. */
  op = '';
  #dead: (() => Error) | undefined;

  constructor(
    readonly backend: Backend,
    readonly device: GPUDevice,
    readonly features: GpuFeatures,
    caps: LimitCaps,
    /** How waits for the GPU are done (see completion-wait.ts). */
    readonly completion: CompletionWait,
  ) {
    const real = device.limits;
    this.bindingLimit = Math.min(real.maxStorageBufferBindingSize, caps.maxStorageBufferBindingSize ?? Infinity);
    this.bindingAlignment = Math.max(real.minStorageBufferOffsetAlignment, caps.minStorageBufferOffsetAlignment ?? 0);
    // kernels size their shards and tiles from ctx.limits, so the caps must show there
    this.limits = {
      ...limitsRecord(real),
      maxStorageBufferBindingSize: this.bindingLimit,
      minStorageBufferOffsetAlignment: this.bindingAlignment,
      maxComputeWorkgroupStorageSize: Math.min(real.maxComputeWorkgroupStorageSize, caps.maxComputeWorkgroupStorageSize ?? Infinity),
    } as unknown as GPUSupportedLimits;
    this.errors = new ErrorLog(device);
    this.stream = new CommandStream(device, this.errors, completion);
    this.pipelines = new PipelineCache(device, this.errors);
    this.pool = new BufferPool((size) => this.#createBuffer(size, TENSOR_USAGE(), 'rr tensor'));
  }

  /** From now on every op throws the error `why` builds (destroyed backend, lost device). */
  kill(why: () => Error): void {
    this.#dead ??= why;
  }

  get dead(): boolean {
    return this.#dead !== undefined;
  }

  /** Throws if the backend can no longer run ops; records `op` for error messages. */
  enter(op: string): void {
    if (this.#dead) throw this.#dead();
    this.op = op;
  }

  // ---- memory ----

  output(shape: readonly number[], dtype: DType, options: { zero?: boolean } = {}): Tensor {
    const t = this.wrap(this.#acquire(sizeOf(shape) * bytesPerElement(dtype), false), shape, dtype);
    if (options.zero) this.clear(t);
    return t;
  }

  /** A tensor over a buffer for an upload: never one that unsubmitted commands still reference. */
  uploadTarget(shape: readonly number[], dtype: DType): Tensor {
    return this.wrap(this.#acquire(sizeOf(shape) * bytesPerElement(dtype), true), shape, dtype);
  }

  wrap(pooled: PooledBuffer, shape: readonly number[], dtype: DType): Tensor {
    const byteLength = sizeOf(shape) * bytesPerElement(dtype);
    // a dead context (destroyed backend, lost device) has no pool to return the buffer to
    const free = (): void => {
      if (!this.#dead) this.pool.release(pooled);
    };
    const storage: GpuStorage = { buffer: pooled.buffer, byteLength, pooled, free };
    return new Tensor(this.backend, storage, shape, dtype);
  }

  clear(t: Tensor): void {
    const s = gpuStorage(t);
    this.stream.use(s.pooled);
    this.stream.encoder(`${this.op} (clear)`).clearBuffer(s.buffer, 0, roundUp4(s.byteLength));
  }

  /** A byte copy inside the pending commands (offsets and size multiples of 4). */
  copy(src: Tensor, srcOffset: number, dst: Tensor, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    const s = gpuStorage(src);
    const d = gpuStorage(dst);
    this.stream.use(s.pooled, d.pooled);
    this.stream.encoder(`${this.op} (copy)`).copyBufferToBuffer(s.buffer, srcOffset, d.buffer, dstOffset, bytes);
  }

  #acquire(bytes: number, forUpload: boolean): PooledBuffer {
    if (bytes > this.limits.maxBufferSize) {
      throw webgpuError(
        'WEBGPU_BUFFER_TOO_LARGE',
        `${this.op}: a tensor of ${bytes} bytes exceeds this device's maxBufferSize (${this.limits.maxBufferSize} bytes); split it into smaller tensors.`,
        { op: this.op, bytes, limit: this.limits.maxBufferSize },
      );
    }
    const size = bucketSize(bytes, this.limits.maxBufferSize);
    if (!forUpload) return this.pool.take(size) ?? this.pool.allocate(size);
    const idle = (b: PooledBuffer): boolean => b.lastUse < this.stream.generation;
    let b = this.pool.take(size, idle);
    if (!b && this.pool.hasFree(size)) {
      // every free buffer of this size is still read by unsubmitted commands: submit them, then reuse
      this.stream.flush();
      b = this.pool.take(size);
    }
    return b ?? this.pool.allocate(size);
  }

  #createBuffer(size: number, usage: number, label: string): GPUBuffer {
    return this.errors.scoped(`${this.op}: allocating a ${size}-byte buffer`, () => this.device.createBuffer({ label, size, usage }), ['out-of-memory']);
  }

  // ---- dispatch ----

  dispatch(shader: ShaderSpec, args: DispatchArgs): void {
    const [x, y = 1, z = 1] = args.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (Math.max(x, y, z) > max) {
      throw webgpuError(
        'WEBGPU_VALIDATION',
        `${this.op}: kernel ${shader.name} asked for workgroups [${x}, ${y}, ${z}]; each dimension is limited to ${max} (fold with grid1d).`,
        {
          op: this.op,
          kernel: shader.name,
        },
      );
    }
    const variant = args.variant ?? defaultVariant(args);
    const kernel = this.pipelines.get(shader, variant, args.read.length, args.write.length);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: this.stream.uniforms.write(args.params ?? []) }];
    [...args.read, ...args.write].forEach((binding, i) => entries.push({ binding: 1 + i, resource: this.#bind(shader, binding) }));
    const bindGroup = this.device.createBindGroup({ label: shader.name, layout: kernel.layout, entries });
    const pass = this.stream.computePass(shader.name);
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }

  grid1d(n: number, workgroupSize: number): readonly [number, number] {
    const groups = Math.ceil(n / workgroupSize);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1];
    const rows = Math.ceil(groups / max);
    return [Math.ceil(groups / rows), rows];
  }

  #bind(shader: ShaderSpec, binding: Tensor | TensorRange): GPUBufferBinding {
    const range = 'tensor' in binding ? binding : undefined;
    const t = range ? range.tensor : (binding as Tensor);
    t.assertLive(`${this.op} (kernel ${shader.name})`);
    const s = gpuStorage(t);
    const bpe = bytesPerElement(t.dtype);
    const offset = range ? range.offset * bpe : 0;
    const size = roundUp4(range ? range.length * bpe : s.byteLength);
    if (offset % this.bindingAlignment !== 0) {
      throw webgpuError(
        'WEBGPU_VALIDATION',
        `${this.op}: kernel ${shader.name} binds ${t} from element ${range!.offset}, which is not a multiple of ${this.bindingAlignment / bpe} elements (minStorageBufferOffsetAlignment ${this.bindingAlignment} bytes); build ranges with rowShards() or alignedRange().`,
        { op: this.op, kernel: shader.name },
      );
    }
    if (size > this.bindingLimit) {
      throw webgpuError(
        'WEBGPU_BINDING_TOO_LARGE',
        `${this.op}: kernel ${shader.name} would bind ${size} bytes of ${t}, above the ${this.bindingLimit}-byte limit of one storage binding (maxStorageBufferBindingSize), and it has no sharded path for tensors this large. Split the tensor, or use a device with a larger maxStorageBufferBindingSize.`,
        { op: this.op, kernel: shader.name, bytes: size, limit: this.bindingLimit },
      );
    }
    this.stream.use(s.pooled);
    return { buffer: s.buffer, offset, size: Math.min(size, s.pooled.size - offset) };
  }
}

/** The first float tensor's storage type (inputs first), as kernel.ts specifies. */
function defaultVariant(args: DispatchArgs): ShaderVariant {
  for (const b of [...args.read, ...args.write]) {
    const dtype = ('tensor' in b ? b.tensor : b).dtype;
    if (isFloat(dtype)) return { float: dtype === 'f16' ? 'f16' : 'f32' };
  }
  return { float: 'f32' };
}
