import { type AdapterReport, type DawnBackend, USEFUL_FEATURES, describeAdapter, pickAdapter } from '@rr/kernels-webgpu';

export interface InfoOptions {
  /** Dawn backend to ask (vulkan, metal, d3d12, opengles, ...); Dawn's default otherwise. */
  dawnBackend?: DawnBackend;
}

/** `rr info`: the WebGPU adapter the webgpu backend would use, its Dawn backend, limits and features. */
export async function webgpuInfo(options: InfoOptions = {}): Promise<AdapterReport> {
  const adapter = await pickAdapter({ backend: options.dawnBackend });
  return describeAdapter(adapter, options.dawnBackend);
}

/** Limits worth a line in the table (the JSON has all of them). */
const SHOWN_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'minStorageBufferOffsetAlignment',
];

export function formatInfo(r: AdapterReport): string {
  const useful = new Set<string>(USEFUL_FEATURES);
  const lines = [
    `adapter      ${r.description || r.device || '(no description)'}`,
    `vendor       ${r.vendor || '-'} / ${r.architecture || '-'}${r.device ? ` / ${r.device}` : ''}`,
    `fallback     ${r.isFallbackAdapter ? 'yes: a CPU emulation (--backend auto picks cpu here; webgpu still runs)' : 'no: a GPU'}`,
    `dawn backend ${r.backend}`,
    `features     ${r.features.map((f) => (useful.has(f) ? `${f}*` : f)).join(', ') || 'none'}`,
    '             (* used by rr)',
    'limits',
    ...SHOWN_LIMITS.filter((k) => k in r.limits).map((k) => `  ${k.padEnd(36)} ${r.limits[k]}`),
  ];
  return `${lines.join('\n')}\n`;
}
