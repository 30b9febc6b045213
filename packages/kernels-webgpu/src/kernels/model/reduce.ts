/**
 * A workgroup-wide reduction as a WGSL function: every invocation passes its partial value and
 * receives the combination over the whole workgroup. A fixed tree over workgroup memory, so the
 * result does not depend on scheduling (bitwise deterministic run to run), and it works on every
 * adapter; where `subgroups` exists a subgroup-first variant would save most of the barriers.
 *
 * Call it from uniform control flow (it contains barriers); one scratch array per generated
 * function, so two reductions in one shader need two names.
 */
export interface WorkgroupReduction {
  /** Name of the generated WGSL function: `fn <name>(value: T, lid: u32) -> T`. */
  name: string;
  /** WGSL type of the values (f32, vec2<f32>, u32, ...). */
  type: string;
  /** Workgroup size, a power of two. */
  size: number;
  /** WGSL expression combining `a` and `b` (associative; the tree fixes the order). */
  combine: string;
}

export function workgroupReduce({ name, type, size, combine }: WorkgroupReduction): string {
  if (size < 1 || (size & (size - 1)) !== 0) throw new Error(`workgroupReduce ${name}: size ${size} is not a power of two.`);
  return `
var<workgroup> ${name}_scratch: array<${type}, ${size}>;

fn ${name}_combine(a: ${type}, b: ${type}) -> ${type} { return ${combine}; }

fn ${name}(value: ${type}, lid: u32) -> ${type} {
  ${name}_scratch[lid] = value;
  workgroupBarrier();
  for (var stride = ${size / 2}u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      ${name}_scratch[lid] = ${name}_combine(${name}_scratch[lid], ${name}_scratch[lid + stride]);
    }
    workgroupBarrier();
  }
  let result = ${name}_scratch[0];
  // the next call may overwrite the scratch: everyone must have read the result first
  workgroupBarrier();
  return result;
}
`;
}
