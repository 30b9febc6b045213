import type { DType, Tensor } from '@rr/tensor';
import type { DispatchArgs, KernelContext, Param, ShaderSpec, ShaderVariant, TensorRange } from '../kernel.js';

/**
 * How every kernel declares its bindings: once, as a `Signature`, from which both the WGSL
 * header (params struct, storage bindings in the contract's order) and the dispatch arguments are
 * derived. A kernel therefore cannot bind a tensor to the wrong slot or pass params out of order:
 * both sides come from the same object, and the TypeScript types demand every name.
 */

/** Element type of a storage binding. 'F' is the variant's float storage type (f32, or f16). */
export type ElementType = 'F' | 'vec4<F>' | 'f32' | 'f16' | 'i32' | 'u32' | 'vec2<u32>' | 'vec2<f32>';

/** The storage element type of a tensor of `dtype` (float data as stored: f16 stays f16). */
export function storageType(dtype: DType): 'f32' | 'f16' | 'i32' | 'u32' {
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
export type ParamType = 'u32' | 'i32' | 'f32';

export interface Signature {
  /** Uniform params, each 4 bytes, in declaration order (at least one: WGSL has no empty structs). */
  readonly params: Readonly<Record<string, ParamType>>;
  readonly read: Readonly<Record<string, ElementType>>;
  readonly write: Readonly<Record<string, ElementType>>;
}

export type Binding = Tensor | TensorRange;

export interface BindArgs<S extends Signature> {
  params: { readonly [K in keyof S['params']]: number };
  read: { readonly [K in keyof S['read']]: Binding };
  write: { readonly [K in keyof S['write']]: Binding };
  workgroups: readonly [number, number?, number?];
  variant: ShaderVariant;
}

export interface Kernel<S extends Signature> {
  readonly spec: ShaderSpec;
  readonly signature: S;
  /** Records one dispatch of this kernel. */
  run(ctx: KernelContext, args: BindArgs<S>): void;
}

/**
 * A kernel whose WGSL body follows the generated header. In the body the params are `p.<name>`
 * and each binding is a runtime-sized array named as in the signature.
 */
export function defineKernel<const S extends Signature>(name: string, signature: S, body: (variant: ShaderVariant) => string): Kernel<S> {
  if (Object.keys(signature.params).length === 0) throw new Error(`kernel ${name}: declare at least one param.`);
  const spec: ShaderSpec = { name, code: (variant) => `${header(signature, variant)}\n${body(variant)}` };
  return {
    spec,
    signature,
    run(ctx, args) {
      ctx.dispatch(spec, toDispatchArgs(signature, args));
    },
  };
}

/**
 * Kernels specialised on compile-time constants (head size, tile sizes, RoPE frequencies) are
 * built once per configuration; the configuration key is part of the shader name, which is the
 * backend's pipeline cache key.
 */
export function memoize<A extends unknown[], R>(key: (...args: A) => string, build: (...args: A) => R): (...args: A) => R {
  const cache = new Map<string, R>();
  return (...args) => {
    const k = key(...args);
    let value = cache.get(k);
    if (value === undefined) {
      value = build(...args);
      cache.set(k, value);
    }
    return value;
  };
}

export function header(sig: Signature, variant: ShaderVariant): string {
  const lines: string[] = [];
  if (variant.float === 'f16') lines.push('enable f16;');
  lines.push(`alias F = ${variant.float};`);
  const fields = Object.entries(sig.params).map(([n, t]) => `  ${n}: ${t},`);
  lines.push(`struct Params {\n${fields.join('\n')}\n}`);
  lines.push('@group(0) @binding(0) var<uniform> p: Params;');
  let binding = 1;
  for (const [n, t] of Object.entries(sig.read)) lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${n}: array<${t}>;`);
  for (const [n, t] of Object.entries(sig.write)) lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${n}: array<${t}>;`);
  return lines.join('\n');
}

function toDispatchArgs<S extends Signature>(sig: S, a: BindArgs<S>): DispatchArgs {
  const params: Param[] = Object.entries(sig.params).map(([n, t]) => {
    const value = (a.params as Record<string, number>)[n]!;
    return [t, value] as const;
  });
  const pick = (names: object, from: object): Binding[] => Object.keys(names).map((n) => (from as Record<string, Binding>)[n]!);
  return { params, read: pick(sig.read, a.read), write: pick(sig.write, a.write), workgroups: a.workgroups, variant: a.variant };
}

/** The storage variant a float tensor computes in: f16 storage keeps f32 arithmetic inside the kernels. */
export function variantOf(t: Tensor): ShaderVariant {
  return { float: t.dtype === 'f16' ? 'f16' : 'f32' };
}

/** Entry-point builtins every model kernel takes (workgroup grids may be folded into x and y). */
export const BUILTINS = '@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32';

/** Index of the workgroup in a grid that `KernelContext.grid1d` may have folded into (x, y). */
export const WORKGROUP_INDEX = 'fn workgroup_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.y * nwg.x + wid.x; }';

/**
 * An entry point over a flat range of invocations dispatched with `ctx.grid1d(n, size)`: `i` is the
 * invocation's index, folded back from the (x, y) grid used past 65535 workgroups. The body must
 * guard `i` against its own bound.
 */
export function flatEntry(workgroupSize: number, body: string): string {
  return `
@compute @workgroup_size(${workgroupSize})
fn main(${BUILTINS}) {
  let i = (wid.y * nwg.x + wid.x) * ${workgroupSize}u + lid;
${body}
}`;
}

/** A float literal that rounds to exactly `Math.fround(x)` (nine significant digits round-trip f32). */
export function f32Literal(x: number): string {
  const s = Math.fround(x).toPrecision(9);
  return `${s}f`;
}

/**
 * Most negative finite f32, the "minus infinity" of the softmax kernels: exp(NEG_BIG - m) is 0
 * for any real m, and NEG_BIG - NEG_BIG is 0 rather than NaN (inf - inf), so empty partial
 * results merge without special cases even where a compiler assumes no infinities.
 */
export const NEG_BIG = '-3.0e38f';
