import { type Backend, RRError, createCpuBackend } from '@rr/tensor';
import { createWebGPUBackend, pickAdapter } from '@rr/kernels-webgpu';

export const BACKENDS = ['cpu', 'webgpu', 'auto'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendFlags {
  /** Threads for the CPU backend (default: all cores). */
  threads?: number;
}

/**
 * The one place that picks a backend (packages below the CLI take a Backend).
 *
 * - cpu: the CPU backend (WebAssembly SIMD matmul on worker threads).
 * - webgpu: the WebGPU backend on Dawn, on the best adapter (a GPU, else Mesa lavapipe).
 * - auto: webgpu on a real GPU; cpu when the only adapter is a CPU emulation (lavapipe), where the
 *   CPU backend is faster, or when there is no adapter at all.
 *
 * Async because creating a GPU device is. Destroy the backend when done: a live GPU device keeps
 * Node from exiting.
 */
export async function createBackend(name: string, options: BackendFlags = {}): Promise<Backend> {
  switch (name) {
    case 'cpu':
      return createCpuBackend(options.threads ? { threads: options.threads } : {});
    case 'webgpu':
      return createWebGPUBackend();
    case 'auto': {
      const adapter = await pickAdapter().catch(() => undefined);
      if (adapter && !adapter.info.isFallbackAdapter) return createWebGPUBackend({ adapter });
      return createBackend('cpu', options);
    }
    default:
      throw new RRError('BAD_FLAG', `--backend ${name}: unknown backend; use one of ${BACKENDS.join(', ')}.`);
  }
}
