import { RRError } from '@rr/tensor';

/**
 * The WebGPU backend's error codes (all thrown as RRError):
 *
 * - WEBGPU_NO_ADAPTER: no adapter at all (no GPU driver, no Mesa lavapipe).
 * - WEBGPU_UNSUPPORTED_FEATURE: a feature was required that the adapter does not offer.
 * - WEBGPU_NO_DEVICE: the adapter refused to create a device.
 * - WEBGPU_VALIDATION / WEBGPU_OUT_OF_MEMORY / WEBGPU_INTERNAL: a GPU error, naming the kernel or op.
 * - WEBGPU_DEVICE_LOST: the device is gone (driver reset, destroyed outside the backend).
 * - WEBGPU_BINDING_TOO_LARGE: a kernel without a sharded path was given a tensor larger than one
 *   storage binding (maxStorageBufferBindingSize).
 * - WEBGPU_BUFFER_TOO_LARGE: a tensor larger than the device's maxBufferSize.
 * - BACKEND_DESTROYED: any op after destroy().
 */
export type WebGPUErrorCode =
  | 'WEBGPU_NO_ADAPTER'
  | 'WEBGPU_UNSUPPORTED_FEATURE'
  | 'WEBGPU_NO_DEVICE'
  | 'WEBGPU_VALIDATION'
  | 'WEBGPU_OUT_OF_MEMORY'
  | 'WEBGPU_INTERNAL'
  | 'WEBGPU_DEVICE_LOST'
  | 'WEBGPU_BINDING_TOO_LARGE'
  | 'WEBGPU_BUFFER_TOO_LARGE'
  | 'BACKEND_DESTROYED';

export function webgpuError(code: WebGPUErrorCode, message: string, details: Record<string, unknown> = {}): RRError {
  return new RRError(code, `webgpu backend: ${message}`, details);
}

/** A GPUError (validation, out-of-memory, internal) as an RRError that names what raised it. */
export function fromGPUError(error: GPUError, what: string): RRError {
  const kind = error.constructor?.name ?? '';
  if (kind.includes('OutOfMemory')) {
    return webgpuError(
      'WEBGPU_OUT_OF_MEMORY',
      `${what}: the device ran out of memory (${error.message}). Use smaller batches or shapes, or free tensors (scope(), dispose()) before this point.`,
      { what },
    );
  }
  if (kind.includes('Internal')) {
    return webgpuError('WEBGPU_INTERNAL', `${what}: internal GPU error (${error.message}).`, { what });
  }
  return webgpuError('WEBGPU_VALIDATION', `${what}: WebGPU validation error: ${error.message}`, { what });
}

type Filter = GPUErrorFilter;

/**
 * GPU errors arrive asynchronously (error scopes resolve later; `uncapturederror` fires later), but
 * the Backend API is synchronous. So errors are collected here, attributed to what raised them when
 * they were scoped, and thrown by the next `read()`, `sync()` or `flush()` that settles them.
 */
export class ErrorLog {
  #pending: Promise<RRError | undefined>[] = [];
  #found: RRError[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** Runs `fn` inside error scopes for `filters`; errors raised in it are attributed to `what`. */
  scoped<T>(what: string, fn: () => T, filters: readonly Filter[] = ['validation', 'out-of-memory', 'internal']): T {
    for (const f of filters) this.device.pushErrorScope(f);
    try {
      return fn();
    } finally {
      for (let i = 0; i < filters.length; i++) {
        this.#pending.push(
          this.device.popErrorScope().then(
            (e) => (e ? fromGPUError(e, what) : undefined),
            () => undefined, // a lost device rejects pops; the loss itself is reported separately
          ),
        );
      }
    }
  }

  /** An error found outside any scope (`uncapturederror`). */
  add(error: RRError): void {
    this.#found.push(error);
  }

  /** Waits for every scope opened so far; throws the first error found (later ones are usually its consequences). */
  async settle(): Promise<void> {
    while (this.#pending.length > 0) {
      const pending = this.#pending;
      this.#pending = [];
      for (const e of await Promise.all(pending)) if (e) this.#found.push(e);
    }
    this.throwFound();
  }

  /** Throws the first error already known, without waiting. */
  throwFound(): void {
    const first = this.#found[0];
    if (first) {
      this.#found = [];
      throw first;
    }
  }
}
