import { type Backend, RRError, createCpuBackend } from '@rr/tensor';

export const BACKENDS = ['cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * The one place that picks a backend (packages below the CLI take a Backend). The WebGPU backend
 * joins this list when @rr/kernels-webgpu lands.
 */
export function createBackend(name: string, options: { threads?: number } = {}): Backend {
  switch (name) {
    case 'cpu':
      return createCpuBackend(options.threads ? { threads: options.threads } : {});
    default:
      throw new RRError('BAD_FLAG', `--backend ${name}: unknown backend; use one of ${BACKENDS.join(', ')}.`);
  }
}
