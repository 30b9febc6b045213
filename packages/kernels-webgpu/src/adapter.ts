import { dawnInstance } from './dawn.js';
import { webgpuError } from './errors.js';

/** Dawn backends `create()` can be told to use. */
export type DawnBackend = 'vulkan' | 'metal' | 'd3d12' | 'd3d11' | 'opengl' | 'opengles';

/** Features the backend uses when the adapter has them. */
export const USEFUL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;
export type WebGPUFeature = (typeof USEFUL_FEATURES)[number];

/** Limits requested at the adapter's own values (WebGPU otherwise grants only the portable defaults). */
export const REQUESTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
] as const;

export interface AdapterChoice {
  /** Dawn backend to use; Dawn's platform default when omitted. */
  backend?: DawnBackend | undefined;
  powerPreference?: GPUPowerPreference | undefined;
}

/** What `rr info` prints: the adapter, the Dawn backend, limits and features. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** The Dawn backend (the one asked for, else the platform's default). */
  backend: string;
  features: string[];
  limits: Record<string, number>;
}

/**
 * The best adapter Dawn offers: a real GPU when there is one (asking for both power preferences,
 * since a machine may expose an integrated and a discrete GPU, and a software adapter), otherwise
 * a fallback adapter such as Mesa lavapipe.
 */
export async function pickAdapter(choice: AdapterChoice = {}): Promise<GPUAdapter> {
  const gpu = dawnInstance(choice.backend ? [`backend=${choice.backend}`] : []);
  // Dawn's OpenGL ES backend only offers compatibility-mode adapters
  const featureLevel = choice.backend === 'opengles' || choice.backend === 'opengl' ? { featureLevel: 'compatibility' } : {};
  const preferences: GPUPowerPreference[] = choice.powerPreference ? [choice.powerPreference] : ['high-performance', 'low-power'];
  const found: GPUAdapter[] = [];
  for (const powerPreference of preferences) {
    const adapter = await gpu.requestAdapter({ powerPreference, ...featureLevel } as GPURequestAdapterOptions);
    if (adapter) found.push(adapter);
  }
  const best = found.find((a) => !a.info.isFallbackAdapter) ?? found[0];
  if (!best) {
    throw webgpuError(
      'WEBGPU_NO_ADAPTER',
      `no WebGPU adapter${choice.backend ? ` for the ${choice.backend} backend` : ''}. Without a GPU, install Mesa's lavapipe (Debian 12: mesa-vulkan-drivers and libvulkan1 from bookworm-backports; see docs/environment.md), or use --backend cpu.`,
    );
  }
  return best;
}

export function describeAdapter(adapter: Pick<GPUAdapter, 'info' | 'features' | 'limits'>, backend?: string): AdapterReport {
  const info = adapter.info;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: Boolean(info.isFallbackAdapter),
    backend: backend ?? defaultDawnBackend(),
    features: [...adapter.features].sort(),
    limits: limitsRecord(adapter.limits),
  };
}

export function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // GPUSupportedLimits exposes its values as prototype getters
  for (const key in limits) {
    const v = (limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

function defaultDawnBackend(): string {
  const platform = globalThis.process?.platform;
  return platform === 'darwin' ? 'metal' : platform === 'win32' ? 'd3d12' : 'vulkan';
}

/** Whether an adapter emulates a GPU on the CPU (lavapipe/llvmpipe, SwiftShader, WARP). */
export function isSoftwareAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  if (info.isFallbackAdapter) return true;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|warp|software/.test(text);
}
