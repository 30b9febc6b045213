import { type DType, type HostArray, RRError, type Tensor, f16ToF32, f32ToF16 } from '@rr/tensor';
import { BufferPool, bucketSize } from './buffer-pool.js';
import type { GpuContext } from './context.js';
import { webgpuError } from './errors.js';
import { gpuStorage, roundUp4 } from './storage.js';

/**
 * Host <-> device copies.
 *
 * Uploads use `queue.writeBuffer` into a buffer that no unsubmitted command references (see
 * GpuContext.uploadTarget), so the write, which the queue runs before the pending commands, cannot
 * clobber data those commands still read. Reads copy into a pooled MAP_READ staging buffer inside
 * the pending commands, submit (reads issued in the same tick share one submission), map, and
 * convert f16 to f32 on the host.
 */
export class Transfers {
  readonly staging: BufferPool;
  #flushing: Promise<void> | undefined;

  constructor(private readonly ctx: GpuContext) {
    this.staging = new BufferPool((size) =>
      ctx.errors.scoped(
        `${ctx.op}: allocating a ${size}-byte staging buffer`,
        () => ctx.device.createBuffer({ label: 'rr readback', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
        ['out-of-memory'],
      ),
    );
  }

  upload(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
    const t = this.ctx.uploadTarget(shape, dtype);
    if (t.size === 0) return t;
    const bytes = hostBytes(data, dtype);
    // byte offset and size: the data is passed as an ArrayBuffer, not as a typed array (whose units would be elements)
    this.ctx.device.queue.writeBuffer(gpuStorage(t).buffer, 0, bytes.buffer as ArrayBuffer, bytes.byteOffset, roundUp4(bytes.byteLength));
    return t;
  }

  async read(t: Tensor): Promise<HostArray> {
    const dtype = t.dtype;
    if (t.size === 0) return emptyHost(dtype);
    const bytes = roundUp4(gpuStorage(t).byteLength);
    const size = bucketSize(bytes, this.ctx.limits.maxBufferSize);
    const staging = this.staging.take(size) ?? this.staging.allocate(size);
    try {
      const s = gpuStorage(t);
      this.ctx.stream.use(s.pooled);
      this.ctx.stream.encoder(`read of ${t}`).copyBufferToBuffer(s.buffer, 0, staging.buffer, 0, bytes);
      await this.flushSoon();
      await this.ctx.completion.beforeWait();
      try {
        await staging.buffer.mapAsync(GPUMapMode.READ, 0, bytes);
        this.ctx.completion.completed();
      } catch (cause) {
        if (this.ctx.dead) this.ctx.enter('read'); // throws the loss or destruction that caused it
        throw new RRError('WEBGPU_DEVICE_LOST', `webgpu backend: reading ${t} failed: ${(cause as Error).message}`, {}, { cause });
      }
      const copy = staging.buffer.getMappedRange(0, bytes).slice(0);
      staging.buffer.unmap();
      return fromBytes(copy, dtype, t.size);
    } finally {
      if (!this.ctx.dead) this.staging.release(staging);
    }
  }

  /** Submits in a microtask, so that reads issued together share one submission; rejects with GPU errors. */
  flushSoon(): Promise<void> {
    this.#flushing ??= Promise.resolve().then(() => {
      this.#flushing = undefined;
      this.ctx.stream.flush();
      return this.ctx.errors.settle();
    });
    return this.#flushing;
  }

  destroy(): void {
    this.staging.destroyAll();
  }
}

/** The upload's bytes; whole 4-byte words (f16 arrays are padded to an even length). */
function hostBytes(data: ArrayLike<number>, dtype: DType): ArrayBufferView {
  switch (dtype) {
    case 'f16': {
      // padded to an even length: GPU copies move whole 4-byte words
      const bits = new Uint16Array(data.length + (data.length & 1));
      f32ToF16(data instanceof Float32Array ? data : Float32Array.from(data), bits.subarray(0, data.length));
      return bits;
    }
    case 'i32':
      return data instanceof Int32Array ? data : Int32Array.from(data);
    case 'u32':
      return data instanceof Uint32Array ? data : Uint32Array.from(data);
    case 'f32':
      return data instanceof Float32Array ? data : Float32Array.from(data);
    default:
      throw webgpuError('WEBGPU_VALIDATION', `upload: dtype ${dtype} is not stored by the webgpu backend.`);
  }
}

function fromBytes(bytes: ArrayBuffer, dtype: DType, size: number): HostArray {
  switch (dtype) {
    case 'f16':
      return f16ToF32(new Uint16Array(bytes, 0, size));
    case 'i32':
      return new Int32Array(bytes, 0, size);
    case 'u32':
      return new Uint32Array(bytes, 0, size);
    default:
      return new Float32Array(bytes, 0, size);
  }
}

function emptyHost(dtype: DType): HostArray {
  return dtype === 'i32' ? new Int32Array(0) : dtype === 'u32' ? new Uint32Array(0) : new Float32Array(0);
}
