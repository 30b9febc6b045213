import { type Backend, type DType, type HostArray, type Storage, Tensor, bytesPerElement, f16ToF32, f32ToF16, sizeOf } from '@rr/tensor';
import { create, globals } from 'webgpu';
import type { DispatchArgs, KernelContext, ShaderSpec, TensorRange } from '../../kernel.js';

/**
 * Tests only: a minimal `KernelContext` over a Dawn device, so the model kernels can be checked
 * without the backend's machinery. Plain GPUBuffers (no pool), one submission per dispatch,
 * validation errors collected per dispatch and thrown at the next read. `limits` may be lowered
 * (binding size, workgroup memory) to force the sharded and small-tile paths on small shapes.
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
  readonly #pipelines: Map<string, GPUComputePipeline>;
  readonly #layouts: Map<string, GPUBindGroupLayout>;
  readonly #errors: Promise<GPUError | null>[] = [];
  #live = 0;

  constructor(
    readonly device: GPUDevice,
    overrides: LimitOverrides = {},
    shared?: { pipelines: Map<string, GPUComputePipeline>; layouts: Map<string, GPUBindGroupLayout> },
  ) {
    const limits: Record<string, number> = {};
    for (const key in device.limits) limits[key] = (device.limits as unknown as Record<string, number>)[key]!;
    this.limits = { ...limits, ...overrides } as unknown as GPUSupportedLimits;
    this.features = { f16: device.features.has('shader-f16'), subgroups: device.features.has('subgroups'), timestampQuery: false };
    this.#pipelines = shared?.pipelines ?? new Map();
    this.#layouts = shared?.layouts ?? new Map();
    const self = this;
    this.backend = {
      name: 'webgpu-test',
      dtypes: this.features.f16 ? ['f32', 'f16', 'i32', 'u32'] : ['f32', 'i32', 'u32'],
      read: (t: Tensor) => self.read(t),
      release(storage: Storage) {
        self.#live--;
        (storage as BufferStorage).buffer.destroy();
      },
      memory: () => ({ storages: self.#live, bytes: 0 }),
    } as unknown as Backend;
  }

  /** The same device and pipelines with other limits (shards and tiles are chosen from limits). */
  withLimits(overrides: LimitOverrides): TestContext {
    return new TestContext(this.device, overrides, { pipelines: this.#pipelines, layouts: this.#layouts });
  }

  get liveTensors(): number {
    return this.#live;
  }

  output(shape: readonly number[], dtype: DType, options: { zero?: boolean } = {}): Tensor {
    const bytes = sizeOf(shape) * bytesPerElement(dtype);
    const buffer = this.device.createBuffer({ size: roundUp4(bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    if (options.zero) {
      const encoder = this.device.createCommandEncoder();
      encoder.clearBuffer(buffer);
      this.device.queue.submit([encoder.finish()]);
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
    await this.#throwErrors();
    const { buffer, bytes } = t.storage as BufferStorage;
    const staging = this.device.createBuffer({ size: roundUp4(bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, roundUp4(bytes));
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const raw = staging.getMappedRange().slice(0);
    staging.destroy();
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
    const pipeline = this.#pipeline(shader, variant.float, args.read.length, args.write.length);
    const params = args.params ?? [];
    const uniform = this.device.createBuffer({ size: Math.max(16, Math.ceil((params.length * 4) / 16) * 16), usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    const view = new DataView(uniform.getMappedRange());
    params.forEach(([type, value], i) => {
      if (type === 'f32') view.setFloat32(i * 4, value, true);
      else if (type === 'i32') view.setInt32(i * 4, value, true);
      else view.setUint32(i * 4, value, true);
    });
    uniform.unmap();
    this.device.pushErrorScope('validation');
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
    [...args.read, ...args.write].forEach((b, i) => entries.push({ binding: 1 + i, resource: this.#bind(b) }));
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    uniform.destroy();
    this.#errors.push(this.device.popErrorScope().then((e) => (e ? new GPUValidationErrorLike(`${shader.name}: ${e.message}`) : null)));
  }

  grid1d(n: number, workgroupSize: number): readonly [number, number] {
    const groups = Math.ceil(n / workgroupSize);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1];
    const rows = Math.ceil(groups / max);
    return [Math.ceil(groups / rows), rows];
  }

  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    await this.#throwErrors();
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

  #pipeline(shader: ShaderSpec, float: 'f32' | 'f16', reads: number, writes: number): GPUComputePipeline {
    const key = `${shader.name}|${float}`;
    let pipeline = this.#pipelines.get(key);
    if (pipeline) return pipeline;
    const code = typeof shader.code === 'function' ? shader.code({ float }) : shader.code;
    const module = this.device.createShaderModule({ label: shader.name, code });
    this.device.pushErrorScope('validation');
    pipeline = this.device.createComputePipeline({
      label: shader.name,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.#layout(reads, writes)] }),
      compute: { module, ...(shader.entryPoint ? { entryPoint: shader.entryPoint } : {}) },
    });
    this.#errors.push(
      this.device.popErrorScope().then(async (e) => {
        if (!e) return null;
        const info = await module.getCompilationInfo();
        const lines = code.split('\n');
        const where = info.messages.map((m) => `  ${m.type} at line ${m.lineNum}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ''}`).join('\n');
        return new GPUValidationErrorLike(`compiling ${shader.name} (${float}): ${e.message}\n${where}`);
      }),
    );
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

  async #throwErrors(): Promise<void> {
    const errors = (await Promise.all(this.#errors.splice(0))).filter((e) => e !== null);
    if (errors.length > 0) throw errors[0];
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
