import {
  type AdapterChoice,
  type DawnBackend,
  REQUESTED_LIMITS,
  USEFUL_FEATURES,
  type WebGPUFeature,
  describeAdapter,
  isSoftwareAdapter,
  pickAdapter,
} from './adapter.js';
import { WebGPUBackend } from './backend.js';
import { webgpuError } from './errors.js';
import type { MatmulKernelKind } from './kernels/matmul/index.js';

export interface WebGPUBackendOptions {
  /** Use this device (composes with other WebGPU code); the backend then picks no adapter. */
  device?: GPUDevice;
  /** With `device`: destroy it on `destroy()` (by default an injected device is left alive). */
  ownDevice?: boolean;
  /** Use this adapter instead of picking one. */
  adapter?: GPUAdapter;
  /** Dawn backend (vulkan, metal, d3d12, opengles, ...); Dawn's platform default otherwise. */
  backend?: DawnBackend;
  powerPreference?: GPUPowerPreference;
  /** Features that must be present: RRError WEBGPU_UNSUPPORTED_FEATURE when the adapter lacks one. The useful ones it has are enabled anyway. */
  features?: readonly WebGPUFeature[];
  /**
   * Caps the storage binding size the kernels use below the device's maxStorageBufferBindingSize.
   * WebGPU cannot grant a device a smaller limit than the default, so this is how tests exercise
   * the sharded paths of big tensors with small ones.
   */
  maxStorageBufferBindingSize?: number;
  /** 'registers' (CPU-emulated adapters) or 'tiled' (GPUs); 'auto' picks by adapter. */
  matmulKernel?: MatmulKernelKind | 'auto';
  /**
   * While waiting for results, sleep through most of the expected wait instead of letting Dawn
   * poll on the main thread (see completion-wait.ts). Default: on for CPU-emulated adapters, where
   * the poll takes a core from the emulated GPU; off for GPUs.
   */
  sleepWhileWaiting?: boolean;
}

/**
 * Creates the WebGPU backend over Dawn (npm `webgpu`): the best adapter (a GPU when there is one,
 * Mesa lavapipe otherwise), a device with the adapter's real limits and its useful features
 * (`shader-f16`, `subgroups`, `timestamp-query`), or an injected device.
 * Call `destroy()` when done: Node does not exit while a device is alive.
 */
export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const common = {
    limitCaps: options.maxStorageBufferBindingSize === undefined ? undefined : { maxStorageBufferBindingSize: options.maxStorageBufferBindingSize },
  };
  if (options.device) {
    const device = options.device;
    for (const f of options.features ?? []) {
      if (!device.features.has(f)) throw unsupported(f, [...device.features]);
    }
    const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const software = isSoftwareAdapter(info);
    return new WebGPUBackend({
      ...common,
      device,
      ownsDevice: options.ownDevice ?? false,
      matmulKernel: matmulKind(options, software),
      sleepWhileWaiting: options.sleepWhileWaiting ?? software,
    });
  }

  const choice: AdapterChoice = { backend: options.backend, powerPreference: options.powerPreference };
  const adapter = options.adapter ?? (await pickAdapter(choice));
  for (const f of options.features ?? []) {
    if (!adapter.features.has(f)) throw unsupported(f, [...adapter.features]);
  }
  const requiredFeatures = USEFUL_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'rr', requiredFeatures, requiredLimits });
  } catch (cause) {
    throw webgpuError('WEBGPU_NO_DEVICE', `the adapter (${adapter.info.description || adapter.info.vendor}) refused a device: ${(cause as Error).message}`);
  }
  const software = isSoftwareAdapter(adapter.info);
  return new WebGPUBackend({
    ...common,
    device,
    ownsDevice: true,
    adapter: describeAdapter(adapter, options.backend),
    matmulKernel: matmulKind(options, software),
    sleepWhileWaiting: options.sleepWhileWaiting ?? software,
  });
}

function matmulKind(options: WebGPUBackendOptions, software: boolean): MatmulKernelKind {
  if (options.matmulKernel && options.matmulKernel !== 'auto') return options.matmulKernel;
  return software ? 'registers' : 'tiled';
}

function unsupported(feature: string, has: string[]) {
  return webgpuError(
    'WEBGPU_UNSUPPORTED_FEATURE',
    `the feature '${feature}' was required, but this adapter offers only: ${has.sort().join(', ') || 'none'}. Drop it from \`features\` to run without it.`,
    { feature },
  );
}
