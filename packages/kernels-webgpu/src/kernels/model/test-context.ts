import { type Backend, type DType, type HostArray, type Storage, Tensor, bytesPerElement, f16ToF32, f32ToF16, sizeOf } from '@rr/tensor';
import { create, globals } from 'webgpu';
import type { DispatchArgs, KernelContext, ShaderSpec, TensorRange } from '../../kernel.js';

/**
 * Tests only: a minimal `KernelContext` over a Dawn device, so the model kernels can be checked
 * without the backend's machinery. Plain GPUBuffers (no pool); dispatches are recorded into one
 * command encoder and submitted at the next read, like the backend does (one error scope or one
 * submission per dispatch made Dawn on lavapipe stall for tens of seconds now and then under
 * load); GPU errors arrive through `uncapturederror` and are thrown by the next read. `limits` may
 * be lowered (binding size, offset alignment, workgroup memory) to force the sharded and
 * small-tile paths on small shapes.
 */

Object.assign(globalThis, globals);
// Dawn's instance must outlive every device made from it (see ENVIRONMENT.md): module lifetime
const dawn = create([]);

interface BufferStorage extends Storage {
  buffer: GPUBuffer;
  bytes: number;
}

export type LimitOverrides = Partial<Record<'maxStorageBufferBindingSize' | 'minStorageBufferOffsetAlignment' | 'maxComputeWorkgroupStorageSize', number>>;

const roundUp4 = (n: number): number => Math.max(4, Math.ceil(n / 4) * 4);

export class TestContext implements KernelContext {
  readonly limits: GPUSupportedLimits;
  readonly features: KernelContext['features'];
  /** The Backend the tensors point at: only what Tensor needs (read, release). */
  readonly backend: Backend;
  readonly #device: DeviceState;
  #live = 0;

  constructor(
    readonly device: GPUDevice,
    overrides: LimitOverrides = {},
    shared?: DeviceState,
  ) {
    const limits: Record<string, number> = {};
    for (const key in device.limits) limits[key] = (device.limits as unknown as Record<string, number>)[key]!;
    this.limits = { ...limits, ...overrides } as unknown as GPUSupportedLimits;
    this.features = { f16: device.features.has('shader-f16'), subgroups: device.features.has('subgroups'), timestampQuery: false };
    this.#device = shared ?? new DeviceState(device);
    const self = this;
    this.backend = {
      name: 'webgpu-test',
      dtypes: this.features.f16 ? ['f32', 'f16', 'i32', 'u32'] : ['f32', 'i32', 'u32'],
      read: (t: Tensor) => self.read(t),
      release(storage: Storage) {
        self.#live--;
        self.#device.destroyAfterSubmit((storage as BufferStorage).buffer);
      },
      memory: () => ({ storages: self.#live, bytes: 0 }),
    } as unknown as Backend;
  }

  /** The same device and pipelines with other limits (shards and tiles are chosen from limits). */
  withLimits(overrides: LimitOverrides): TestContext {
    return new TestContext(this.device, overrides, this.#device);
  }

  get liveTensors(): number {
    return this.#live;
  }

  /** Names of the kernels compiled so far (which specialisation a shape picked). */
  get compiledKernels(): string[] {
    return this.#device.compiledKernels();
  }

  output(shape: readonly number[], dtype: DType, options: { zero?: boolean } = {}): Tensor {
    const bytes = sizeOf(shape) * bytesPerElement(dtype);
    const buffer = this.device.createBuffer({ size: roundUp4(bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    if (options.zero) {
      this.#device.encoder().clearBuffer(buffer);
    } else {
      // pooled outputs hold old data: make "uninitialised" visible instead of conveniently zero
      this.device.queue.writeBuffer(buffer, 0, new Uint8Array(roundUp4(bytes)).fill(0x7f));
    }
    this.#live++;
    return new Tensor(this.backend, { refs: 0, buffer, bytes } as BufferStorage, shape, dtype);
  }

  upload(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
    const t = this.output(shape, dtype);
    const bytes = new ArrayBuffer(roundUp4(t.size * bytesPerElement(dtype)));
    if (dtype === 'f16') f32ToF16(Float32Array.from(data), new Uint16Array(bytes, 0, t.size));
    else if (dtype === 'f32') new Float32Array(bytes).set(Array.from(data));
    else if (dtype === 'i32') new Int32Array(bytes).set(Array.from(data));
    else if (dtype === 'u32') new Uint32Array(bytes).set(Array.from(data));
    else throw new Error(`test context: cannot upload ${dtype}`);
    this.device.queue.writeBuffer((t.storage as BufferStorage).buffer, 0, bytes);
    return t;
  }

  async read(t: Tensor): Promise<HostArray> {
    t.assertLive('test context read');
    const { buffer, bytes } = t.storage as BufferStorage;
    const staging = this.device.createBuffer({ size: roundUp4(bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.#device.encoder().copyBufferToBuffer(buffer, 0, staging, 0, roundUp4(bytes));
    this.#device.submit();
    await staging.mapAsync(GPUMapMode.READ);
    const raw = staging.getMappedRange().slice(0);
    staging.destroy();
    this.#device.throwErrors();
    switch (t.dtype) {
      case 'f16':
        return f16ToF32(new Uint16Array(raw, 0, t.size));
      case 'i32':
        return new Int32Array(raw, 0, t.size);
      case 'u32':
        return new Uint32Array(raw, 0, t.size);
      default:
        return new Float32Array(raw, 0, t.size);
    }
  }

  dispatch(shader: ShaderSpec, args: DispatchArgs): void {
    const variant = args.variant ?? { float: 'f32' };
    const [x, y = 1, z = 1] = args.workgroups;
    if (x * y * z === 0) return;
    const pipeline = this.#device.pipeline(shader, variant.float, args.read.length, args.write.length);
    const params = args.params ?? [];
    const uniform = this.device.createBuffer({ size: Math.max(16, Math.ceil((params.length * 4) / 16) * 16), usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    const view = new DataView(uniform.getMappedRange());
    params.forEach(([type, value], i) => {
      if (type === 'f32') view.setFloat32(i * 4, value, true);
      else if (type === 'i32') view.setInt32(i * 4, value, true);
      else view.setUint32(i * 4, value, true);
    });
    uniform.unmap();
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
    [...args.read, ...args.write].forEach((b, i) => entries.push({ binding: 1 + i, resource: this.#bind(b) }));
    const bindGroup = this.device.createBindGroup({ label: shader.name, layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.#device.encoder().beginComputePass({ label: shader.name });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    this.#device.destroyAfterSubmit(uniform);
  }

  grid1d(n: number, workgroupSize: number): readonly [number, number] {
    const groups = Math.ceil(n / workgroupSize);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1];
    const rows = Math.ceil(groups / max);
    return [Math.ceil(groups / rows), rows];
  }

  async sync(): Promise<void> {
    this.#device.submit();
    await this.device.queue.onSubmittedWorkDone();
    this.#device.throwErrors();
  }

  /** Submits pending work, waits for it and destroys the device (afterAll). */
  async destroy(): Promise<void> {
    await this.sync().catch(() => undefined);
    this.device.destroy();
  }

  #bind(b: Tensor | TensorRange): GPUBufferBinding {
    const range = 'tensor' in b ? b : undefined;
    const t = range ? range.tensor : (b as Tensor);
    t.assertLive('test context dispatch');
    const { buffer, bytes } = t.storage as BufferStorage;
    const bpe = bytesPerElement(t.dtype);
    if (!range) return { buffer, offset: 0, size: roundUp4(bytes) };
    const offset = range.offset * bpe;
    if (offset % this.limits.minStorageBufferOffsetAlignment !== 0) throw new Error(`test context: range offset ${offset} bytes is not aligned`);
    const size = roundUp4(range.length * bpe);
    if (size > this.limits.maxStorageBufferBindingSize) throw new Error(`test context: binding of ${size} bytes is above the ${this.limits.maxStorageBufferBindingSize}-byte limit`);
    return { buffer, offset, size };
  }
}

/** What contexts over one device share: pipelines, the pending encoder, GPU errors. */
class DeviceState {
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #errors: string[] = [];
  readonly #garbage: GPUBuffer[] = [];
  #encoder: GPUCommandEncoder | undefined;

  constructor(readonly device: GPUDevice) {
    device.addEventListener('uncapturederror', (event) => this.#errors.push((event as GPUUncapturedErrorEvent).error.message));
  }

  compiledKernels(): string[] {
    return [...this.#pipelines.keys()];
  }

  encoder(): GPUCommandEncoder {
    this.#encoder ??= this.device.createCommandEncoder();
    return this.#encoder;
  }

  /** Buffers the pending commands may still use are destroyed once those are submitted. */
  destroyAfterSubmit(buffer: GPUBuffer): void {
    if (this.#encoder) this.#garbage.push(buffer);
    else buffer.destroy();
  }

  submit(): void {
    if (this.#encoder) this.device.queue.submit([this.#encoder.finish()]);
    this.#encoder = undefined;
    for (const b of this.#garbage.splice(0)) b.destroy();
  }

  throwErrors(): void {
    if (this.#errors.length > 0) throw new GPUValidationErrorLike(this.#errors.splice(0).join('\n'));
  }

  pipeline(shader: ShaderSpec, float: 'f32' | 'f16', reads: number, writes: number): GPUComputePipeline {
    const key = `${shader.name}|${float}`;
    let pipeline = this.#pipelines.get(key);
    if (pipeline) return pipeline;
    const code = typeof shader.code === 'function' ? shader.code({ float }) : shader.code;
    const module = this.device.createShaderModule({ label: shader.name, code });
    // compilation errors also arrive as uncaptured errors; these name the line
    void module.getCompilationInfo().then((info) => {
      const lines = code.split('\n');
      for (const m of info.messages) {
        if (m.type === 'error') this.#errors.push(`${shader.name} (${float}) line ${m.lineNum}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ''}`);
      }
    });
    pipeline = this.device.createComputePipeline({
      label: shader.name,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.#layout(reads, writes)] }),
      compute: { module, ...(shader.entryPoint ? { entryPoint: shader.entryPoint } : {}) },
    });
    this.#pipelines.set(key, pipeline);
    return pipeline;
  }

  #layout(reads: number, writes: number): GPUBindGroupLayout {
    const key = `${reads}|${writes}`;
    let layout = this.#layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }];
      for (let i = 0; i < reads + writes; i++) {
        entries.push({ binding: 1 + i, visibility: GPUShaderStage.COMPUTE, buffer: { type: i < reads ? 'read-only-storage' : 'storage' } });
      }
      layout = this.device.createBindGroupLayout({ entries });
      this.#layouts.set(key, layout);
    }
    return layout;
  }
}

class GPUValidationErrorLike extends Error {}

/** A test context on the best adapter, or undefined (with the reason) when there is none. */
export async function createTestContext(): Promise<{ ctx: TestContext } | { ctx: undefined; reason: string }> {
  const adapter = await dawn.requestAdapter();
  if (!adapter) return { ctx: undefined, reason: 'no WebGPU adapter on this machine' };
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = (adapter.limits as unknown as Record<string, number>)[key];
    if (typeof value === 'number') requiredLimits[key] = value;
  }
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('shader-f16') ? ['shader-f16'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  return { ctx: new TestContext(device) };
}
