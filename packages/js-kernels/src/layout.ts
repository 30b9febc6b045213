import type { UniformWord } from '@rr/tensor';
import type { ArgKind, KernelSource } from './source.js';
import { kernelError } from './source.js';

/**
 * The binding layout of gpu.js 2.24.1's WGSL for a one-dimensional kernel, which this package
 * fills and the WebGPU backend binds (CustomKernel of @rr/tensor):
 *
 *   struct Params { outputX, outputY, outputZ, dispatchWidth : u32,
 *                   user_<array>_dims : vec4<u32> per tensor argument (sizeX, sizeY, sizeZ, total),
 *                   user_<scalar> : f32 | i32 per number argument }
 *   @binding(0) params (uniform), @binding(1..n) the tensors (storage, read), @binding(n+1) result
 *
 * Every translation is checked against it: a gpu.js that lays its shader out differently fails
 * here, loudly, instead of reading the wrong buffers.
 */
export function checkLayout(kernel: KernelSource, wgsl: string, names: readonly string[], kinds: readonly ArgKind[], workgroupSize: readonly number[]): number {
  const struct = /struct Params \{\n([\s\S]*?)\n\}/.exec(wgsl)?.[1];
  const members = (struct ?? '').split('\n').map((l) => l.trim().replace(/,$/, ''));
  const arrays = names.filter((_, i) => kinds[i] === 'tensor');
  const expectedMembers = [
    'outputX : u32',
    'outputY : u32',
    'outputZ : u32',
    'dispatchWidth : u32',
    ...arrays.map((n) => `user_${n}_dims : vec4<u32>`),
    ...names.flatMap((n, i) => (kinds[i] === 'tensor' ? [] : [`user_${n} : ${kinds[i] === 'integer' ? 'i32' : 'f32'}`])),
  ];
  const bindings = [...wgsl.matchAll(/^@group\((\d+)\) @binding\((\d+)\) (.*);$/gm)].map((m) => `@group(${m[1]}) @binding(${m[2]}) ${m[3]}`);
  const expectedBindings = [
    '@group(0) @binding(0) var<uniform> params : Params',
    ...arrays.map((n, i) => `@group(0) @binding(${i + 1}) var<storage, read> user_${n} : array<f32>`),
    `@group(0) @binding(${arrays.length + 1}) var<storage, read_write> result : array<f32>`,
  ];
  const entry = /@compute @workgroup_size\((\d+), 1, 1\)\nfn main\(/.exec(wgsl);
  const problems = [
    ...(same(members, expectedMembers) ? [] : [`params block [${members.join('; ')}], expected [${expectedMembers.join('; ')}]`]),
    ...(same(bindings, expectedBindings) ? [] : [`bindings [${bindings.join('; ')}], expected [${expectedBindings.join('; ')}]`]),
    ...(entry && Number(entry[1]) === workgroupSize[0] ? [] : ['no one-dimensional entry point `main`']),
    ...(/let flat_index : u32 = gid\.x \+ gid\.y \* params\.dispatchWidth;/.test(wgsl) ? [] : ['no flat index folded by dispatchWidth']),
  ];
  if (problems.length > 0) {
    throw kernelError(
      kernel,
      'JS_KERNEL_LAYOUT',
      `gpu.js produced a shader layout this package does not bind: ${problems.join('; ')}. @rr/js-kernels is built for gpu.js 2.24.1 exactly; install that version.`,
    );
  }
  return Number(entry![1]);
}

/** The uniform words of one call: output and dispatch sizes, each tensor's dims, then the numbers. */
export function uniformWords(
  outputSize: number,
  dispatchWidth: number,
  args: readonly (number | { size: number })[],
  kinds: readonly ArgKind[],
): UniformWord[] {
  const words: UniformWord[] = [
    ['u32', outputSize],
    ['u32', 1],
    ['u32', 1],
    ['u32', dispatchWidth],
  ];
  args.forEach((a, i) => {
    if (kinds[i] === 'tensor') {
      const size = (a as { size: number }).size;
      words.push(['u32', size], ['u32', 1], ['u32', 1], ['u32', size]);
    }
  });
  args.forEach((a, i) => {
    if (kinds[i] !== 'tensor') words.push([kinds[i] === 'integer' ? 'i32' : 'f32', a as number]);
  });
  return words;
}

/** The most workgroups per dimension every WebGPU device accepts. */
const MAX_GROUPS = 65535;

/** Workgroups for `n` invocations, folded into (x, y) past 65535, and the invocations per row. */
export function grid(n: number, workgroupSize: number): { workgroups: [number, number]; dispatchWidth: number } {
  const groups = Math.max(1, Math.ceil(n / workgroupSize));
  const rows = Math.ceil(groups / MAX_GROUPS);
  const x = Math.ceil(groups / rows);
  return { workgroups: [x, rows], dispatchWidth: x * workgroupSize };
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
