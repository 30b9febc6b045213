import { Option } from 'commander';
import { type Backend, RRError, createCpuBackend } from '@rr/tensor';
import { createWebGPUBackend, isSoftwareAdapter, pickAdapter } from '@rr/kernels-webgpu';

export const BACKENDS = ['auto', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** `--backend`, declared once for every command that computes: `auto` unless the user says otherwise. */
export function backendOption(): Option {
  return new Option('--backend <name>', 'auto: WebGPU on a real GPU, else the CPU backend; cpu; webgpu (any adapter, lavapipe included)')
    .choices([...BACKENDS])
    .default('auto');
}

/** Which backend a command runs on, and why: printed on stderr and put in `--json` output. */
export interface BackendChoice {
  backend: 'cpu' | 'webgpu';
  /** The WebGPU adapter the backend runs on (null for the CPU backend). */
  adapter: string | null;
  /** What `--backend` said. */
  requested: string;
  /** Why this backend: the flag, or what `auto` found. */
  reason: string;
}

export interface BackendFlags {
  /** Threads for the CPU backend (default: all cores). */
  threads?: number;
  /** Told which backend was chosen, before any work runs on it. */
  onChosen?: (choice: BackendChoice) => void;
}

/**
 * The one place that picks a backend (packages below the CLI take a Backend).
 *
 * - cpu: the CPU backend (WebAssembly SIMD matmul on worker threads).
 * - webgpu: the WebGPU backend on Dawn, on the best adapter (a GPU, else Mesa lavapipe).
 * - auto: webgpu on a real GPU; cpu when the only adapter emulates a GPU on the CPU (lavapipe,
 *   SwiftShader, a fallback adapter), where the CPU backend is faster, or when there is none.
 *
 * Async because creating a GPU device is. Destroy the backend when done: a live GPU device keeps
 * Node from exiting.
 */
export async function createBackend(name: string, options: BackendFlags = {}): Promise<Backend> {
  const { backend, choice } = await chooseBackend(name, options);
  choices.set(backend, choice);
  options.onChosen?.(choice);
  return backend;
}

const choices = new WeakMap<Backend, BackendChoice>();

/** How `createBackend` chose this backend (undefined for one it did not create). */
export function backendChoiceOf(backend: Backend): BackendChoice | undefined {
  return choices.get(backend);
}

async function chooseBackend(name: string, options: BackendFlags): Promise<{ backend: Backend; choice: BackendChoice }> {
  const cpu = (reason: string): { backend: Backend; choice: BackendChoice } => {
    const backend = createCpuBackend(options.threads ? { threads: options.threads } : {});
    return { backend, choice: { backend: 'cpu', adapter: null, requested: name, reason } };
  };
  switch (name) {
    case 'cpu':
      return cpu('--backend cpu');
    case 'webgpu': {
      const adapter = await pickAdapter();
      const backend = await createWebGPUBackend({ adapter });
      const software = isSoftwareAdapter(adapter.info);
      return {
        backend,
        choice: {
          backend: 'webgpu',
          adapter: adapterName(adapter.info),
          requested: name,
          reason: `--backend webgpu${software ? '; this adapter emulates a GPU on the CPU, where --backend cpu is usually faster' : ''}`,
        },
      };
    }
    case 'auto': {
      const adapter = await pickAdapter().catch(() => undefined);
      const auto = autoBackendFor(adapter?.info);
      if (auto.backend === 'cpu' || !adapter) return cpu(auto.reason);
      const backend = await createWebGPUBackend({ adapter });
      return { backend, choice: { backend: 'webgpu', adapter: adapterName(adapter.info), requested: name, reason: auto.reason } };
    }
    default:
      throw new RRError('BAD_FLAG', `--backend ${name}: unknown backend; use one of ${BACKENDS.join(', ')}.`);
  }
}

/** The fields of a GPUAdapterInfo that rr reads. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

/**
 * What `--backend auto` makes of the best adapter Dawn offers (undefined: none): WebGPU only on a
 * real GPU. A software adapter (lavapipe, SwiftShader, WARP, a fallback adapter) runs the same
 * kernels on the CPU, slower than the CPU backend, so it is no reason to choose WebGPU.
 */
export function autoBackendFor(info: AdapterInfo | undefined): { backend: 'cpu' | 'webgpu'; reason: string } {
  if (!info) return { backend: 'cpu', reason: '--backend auto: no WebGPU adapter here' };
  if (isSoftwareAdapter(info)) return { backend: 'cpu', reason: `--backend auto: the only WebGPU adapter (${adapterName(info)}) emulates a GPU on the CPU` };
  return { backend: 'webgpu', reason: '--backend auto: a GPU' };
}

/** One stderr line: `rr: backend cpu (--backend auto: ...)`. */
export function formatBackendChoice(c: BackendChoice): string {
  return `rr: backend ${c.backend}${c.adapter ? ` on ${c.adapter}` : ''} (${c.reason})\n`;
}

function adapterName(info: AdapterInfo): string {
  return info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
}
