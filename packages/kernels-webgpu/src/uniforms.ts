import type { Param } from './kernel.js';

/** Where one dispatch's params live: a slice of a uniform buffer. */
export interface UniformSlice {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

const BLOCK_BYTES = 256 * 1024;

interface Block {
  buffer: GPUBuffer;
  host: ArrayBuffer;
  view: DataView;
}

/**
 * The params of every dispatch recorded since the last submission, packed into uniform buffers.
 *
 * Each dispatch gets its own aligned slice, written into a host-side mirror; `upload()` copies the
 * mirrors to the GPU with one `writeBuffer` per block just before the submission. Because
 * `queue.writeBuffer` runs before the commands of the submission that follows it, and after those
 * of earlier submissions, the blocks can be reused by every submission without a dispatch ever
 * seeing another dispatch's params. Blocks are added when a step records more dispatches than the
 * existing ones hold, so after the first step no new uniform buffer is created.
 */
export class UniformArena {
  readonly #blocks: Block[] = [];
  #block = 0;
  #used = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly alignment: number,
  ) {}

  /** Buffers created so far (for pool statistics). */
  get blocks(): number {
    return this.#blocks.length;
  }

  write(params: readonly Param[]): UniformSlice {
    // uniform structs of 4-byte members are bound in multiples of 16 bytes
    const size = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
    if (this.#used + size > BLOCK_BYTES) {
      this.#block++;
      this.#used = 0;
    }
    const block = this.#blocks[this.#block] ?? this.#addBlock();
    const offset = this.#used;
    params.forEach(([type, value], i) => {
      const at = offset + i * 4;
      if (type === 'f32') block.view.setFloat32(at, value, true);
      else if (type === 'i32') block.view.setInt32(at, value, true);
      else block.view.setUint32(at, value, true);
    });
    this.#used = Math.ceil((offset + size) / this.alignment) * this.alignment;
    return { buffer: block.buffer, offset, size };
  }

  /** Copies the params written since the last upload to the GPU; call right before submitting. */
  upload(queue: GPUQueue): void {
    for (let i = 0; i <= this.#block && i < this.#blocks.length; i++) {
      const bytes = i === this.#block ? this.#used : BLOCK_BYTES;
      if (bytes > 0) queue.writeBuffer(this.#blocks[i]!.buffer, 0, this.#blocks[i]!.host, 0, Math.min(bytes, BLOCK_BYTES));
    }
    this.#block = 0;
    this.#used = 0;
  }

  destroy(): void {
    for (const b of this.#blocks) b.buffer.destroy();
    this.#blocks.length = 0;
  }

  #addBlock(): Block {
    const buffer = this.device.createBuffer({
      label: 'rr params',
      size: BLOCK_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const host = new ArrayBuffer(BLOCK_BYTES);
    const block = { buffer, host, view: new DataView(host) };
    this.#blocks.push(block);
    return block;
  }
}
