import type { DType } from '@rr/tensor';

/**
 * Small WGSL builders shared by the kernels, so that binding declarations, the params struct and
 * the flat-index entry point are written once. Bindings follow kernel.ts: binding 0 is the params
 * uniform, then the read bindings, then the write bindings, in order.
 */

/** WGSL storage element types: floats by the variant, integer data moved as u32/i32 words. */
export type WgslScalar = 'f32' | 'f16' | 'i32' | 'u32';

/** The WGSL type a tensor of `dtype` is stored as. */
export function wgslScalar(dtype: DType): WgslScalar {
  if (dtype === 'f32' || dtype === 'f16' || dtype === 'i32' || dtype === 'u32') return dtype;
  throw new Error(`no WGSL storage type for ${dtype}`);
}

/**
 * A kernel that only moves bits stores 4-byte dtypes as u32 (no float canonicalisation can alter
 * an integer's bits) and f16 as f16: one pipeline serves f32, i32 and u32.
 */
export function wordType(dtype: DType): 'u32' | 'f16' {
  return dtype === 'f16' ? 'f16' : 'u32';
}

export interface Bindings {
  /** Params, each 4 bytes: [name, type]. */
  params?: readonly (readonly [string, 'u32' | 'i32' | 'f32'])[];
  /** [name, element type], e.g. ['x', 'f32'] or ['A', 'vec4<f16>']. */
  read?: readonly (readonly [string, string])[];
  write?: readonly (readonly [string, string])[];
}

/** The declarations of a kernel's bindings; the params struct is bound as `p`. */
export function declare(b: Bindings): string {
  const lines: string[] = [];
  const params = b.params ?? [];
  const f16 = [...(b.read ?? []), ...(b.write ?? [])].some(([, t]) => t.includes('f16'));
  if (f16) lines.push('enable f16;');
  if (params.length > 0) {
    lines.push(`struct Params { ${params.map(([n, t]) => `${n}: ${t}`).join(', ')} }`);
    lines.push('@group(0) @binding(0) var<uniform> p: Params;');
  }
  let binding = 1;
  for (const [name, type] of b.read ?? []) lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${name}: array<${type}>;`);
  for (const [name, type] of b.write ?? []) lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${name}: array<${type}>;`);
  return lines.join('\n');
}

/**
 * An entry point over a flat range of invocations dispatched with `ctx.grid1d(n, size)`: `i` is the
 * invocation's index, folded back from the (x, y) grid used past 65535 workgroups. The body must
 * guard `i` against its own bound.
 */
export function flatEntry(workgroupSize: number, body: string): string {
  return `
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * ${workgroupSize}u + lid;
${body}
}`;
}

/** Memoises ShaderSpecs built per configuration, so that equal configurations share one object and one pipeline. */
export function memo<K extends string, V>(build: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = build(key)));
    return v;
  };
}
