import { defineKernel } from '../wgsl.js';
import { matmulSignature } from './problem.js';

/**
 * The workgroup-memory matmul for GPUs: a 16 x 16 workgroup computes a 64 x 64 block of C, each
 * invocation a 4 x 4 register block; A and B stream through workgroup memory in slices of 16 along
 * K, every invocation loading one 4-element group of each per slice (as vec4 when aligned), so
 * each global element is read once per workgroup instead of 64 times. Both tiles are stored
 * k-major as vec4, so the inner loop is two workgroup vec4 reads per 16 FMAs.
 */
export interface TiledConfig {
  transA: boolean;
  transB: boolean;
  vec4: boolean;
}

export const TILED_GEOMETRY = { rowsPerGroup: 64, colsPerGroup: 64 };

export function tiledMatmulKernel(c: TiledConfig) {
  return defineKernel(`matmul/tiled/64x64/${c.transA ? 'aT' : 'a'}${c.transB ? 'bT' : 'b'}/${c.vec4 ? 'vec4' : 'scalar'}`, matmulSignature(c.vec4), () =>
    source(c),
  );
}

const J = [0, 1, 2, 3];

/**
 * WGSL that sets `v` (vec4<f32>) to 4 consecutive elements of a stored row-major operand: `row`
 * indexes the stored rows, `col` the first of four stored columns. Elements past the end of the
 * reduction axis K (`kAxis`) must read as zero; past the end of the other axis they only feed
 * results that are never stored, so the vec4 form clamps that index instead of testing it (and,
 * as the vec4 form needs 4-aligned sizes, the four elements are all in or all out).
 */
function load4(
  name: string,
  vec4: boolean,
  base: string,
  ld: string,
  row: string,
  rowCount: string,
  col: string,
  colCount: string,
  kAxis: 'rows' | 'cols',
): string {
  if (vec4) {
    const kRows = kAxis === 'rows';
    const r = kRows ? `(${row})` : `min(${row}, ${rowCount} - 1u)`;
    const c = kRows ? `min(${col}, ${colCount} - 4u)` : col;
    const inBounds = kRows ? `${row} < ${rowCount}` : `${col} < ${colCount}`;
    return `var v = vec4<f32>(); if (${inBounds}) { v = vec4<f32>(${name}[(${base} + ${r} * ${ld} + ${c}) / 4u]); }`;
  }
  return `var v = vec4<f32>();\n${J.map((j) => `    if (${row} < ${rowCount} && ${col} + ${j}u < ${colCount}) { v[${j}] = f32(${name}[${base} + (${row}) * ${ld} + ${col} + ${j}u]); }`).join('\n')}`;
}

function source(c: TiledConfig): string {
  // A tile: As[kk][m / 4] holds rows m..m+3 at step kk. Untransposed A is contiguous along k, so a
  // thread loads 4 k-steps of one row and scatters them; transposed A (stored [K, M]) is
  // contiguous along m and lands as one vec4.
  const loadA = c.transA
    ? `  { let kk = t / 16u; let mq = (t % 16u) * 4u;
    ${load4('A', c.vec4, 'a0', 'p.lda', 'kt + kk', 'p.K', 'm0 + mq', 'p.M', 'rows')}
    As[kk][mq / 4u] = v; }`
    : `  { let r = t / 4u; let kq = (t % 4u) * 4u;
    ${load4('A', c.vec4, 'a0', 'p.lda', 'm0 + r', 'p.M', 'kt + kq', 'p.K', 'cols')}
    ${J.map((j) => `As[kq + ${j}u][r / 4u][r % 4u] = v[${j}];`).join(' ')} }`;
  const loadB = c.transB
    ? `  { let n = t / 4u; let kq = (t % 4u) * 4u;
    ${load4('B', c.vec4, 'b0', 'p.ldb', 'n0 + n', 'p.N', 'kt + kq', 'p.K', 'cols')}
    ${J.map((j) => `Bs[kq + ${j}u][n / 4u][n % 4u] = v[${j}];`).join(' ')} }`
    : `  { let kk = t / 16u; let nq = (t % 16u) * 4u;
    ${load4('B', c.vec4, 'b0', 'p.ldb', 'kt + kk', 'p.K', 'n0 + nq', 'p.N', 'rows')}
    Bs[kk][nq / 4u] = v; }`;
  const store = c.vec4
    ? J.map(
        (i) => `  if (row + ${i}u < p.M && col < p.N) {
    let at = (c0 + (row + ${i}u) * p.ldc + col) / 4u;
    var v = acc${i};
    if (p.accumulate != 0u) { v += vec4<f32>(C[at]); }
    C[at] = vec4<F>(v);
  }`,
      ).join('\n')
    : J.flatMap((i) =>
        J.map(
          (j) => `  if (row + ${i}u < p.M && col + ${j}u < p.N) {
    let at = c0 + (row + ${i}u) * p.ldc + col + ${j}u;
    var v = acc${i}[${j}];
    if (p.accumulate != 0u) { v += f32(C[at]); }
    C[at] = F(v);
  }`,
        ),
      ).join('\n');
  return `
var<workgroup> As: array<array<vec4<f32>, 16>, 16>;
var<workgroup> Bs: array<array<vec4<f32>, 16>, 16>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let m0 = wid.y * 64u;
  let n0 = wid.x * 64u;
  let a0 = p.a_base + wid.z * p.a_batch;
  let b0 = p.b_base + wid.z * p.b_batch;
  let c0 = p.c_base + wid.z * p.c_batch;
  var acc0 = vec4<f32>(); var acc1 = vec4<f32>(); var acc2 = vec4<f32>(); var acc3 = vec4<f32>();
  for (var kt = 0u; kt < p.K; kt += 16u) {
${loadA}
${loadB}
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let a = As[kk][lid.y];
      let b = Bs[kk][lid.x];
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
    }
    workgroupBarrier();
  }
  let row = m0 + lid.y * 4u;
  let col = n0 + lid.x * 4u;
${store}
}`;
}
