import type { PooledBuffer } from './buffer-pool.js';
import type { CompletionWait } from './completion-wait.js';
import type { ErrorLog } from './errors.js';
import { UniformArena } from './uniforms.js';

/**
 * The one pending command encoder. Kernels append dispatches to a single open compute pass
 * (WebGPU orders and synchronises dispatches within a pass), copies close the pass, and
 * everything recorded since the last submission goes to the queue in one `submit` at `flush()`,
 * which the backend calls on `read()`, `sync()` or an explicit `flush()`: one submission per
 * training step.
 *
 * `generation` counts submissions. A buffer whose `lastUse` equals the current generation is
 * referenced by commands not yet submitted; `queue.writeBuffer` into such a buffer would land
 * *before* those commands run (writes are queue operations, the encoder is submitted later), so
 * uploads never pick one (see WebGPUBackend.#uploadBuffer).
 */
export class CommandStream {
  generation = 0;
  readonly uniforms: UniformArena;
  #encoder: GPUCommandEncoder | undefined;
  #pass: GPUComputePassEncoder | undefined;
  /** Kernel names recorded since the last submission: what a failed submission is attributed to. */
  readonly #kernels = new Set<string>();

  constructor(
    private readonly device: GPUDevice,
    private readonly errors: ErrorLog,
    private readonly completion: CompletionWait,
  ) {
    this.uniforms = new UniformArena(device, device.limits.minUniformBufferOffsetAlignment);
  }

  get pending(): boolean {
    return this.#encoder !== undefined;
  }

  /** The open compute pass, for a dispatch of `kernel`. */
  computePass(kernel: string): GPUComputePassEncoder {
    this.#kernels.add(kernel);
    this.#pass ??= this.#encoderNow().beginComputePass({ label: 'rr kernels' });
    return this.#pass;
  }

  /** The encoder itself, for copies and clears (the compute pass is closed first). */
  encoder(what: string): GPUCommandEncoder {
    this.#kernels.add(what);
    this.#pass?.end();
    this.#pass = undefined;
    return this.#encoderNow();
  }

  /** Marks buffers as referenced by the pending commands. */
  use(...buffers: PooledBuffer[]): void {
    for (const b of buffers) b.lastUse = this.generation;
  }

  /** Submits everything recorded so far (a no-op when nothing is pending). */
  flush(): void {
    const encoder = this.#encoder;
    if (!encoder) return;
    this.#pass?.end();
    this.#pass = undefined;
    this.#encoder = undefined;
    const names = [...this.#kernels];
    this.#kernels.clear();
    const what = `submitting ${names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ')}`;
    this.errors.scoped(what, () => {
      this.uniforms.upload(this.device.queue);
      this.device.queue.submit([encoder.finish()]);
    });
    this.completion.submitted();
    this.generation++;
  }

  destroy(): void {
    this.#pass = undefined;
    this.#encoder = undefined;
    this.uniforms.destroy();
  }

  #encoderNow(): GPUCommandEncoder {
    this.#encoder ??= this.device.createCommandEncoder({ label: 'rr step' });
    return this.#encoder;
  }
}
