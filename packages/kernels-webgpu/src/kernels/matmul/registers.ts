import { defineKernel } from '../wgsl.js';
import { matmulSignature } from './problem.js';

/**
 * The register-blocked matmul for CPU-emulated adapters (Mesa lavapipe / llvmpipe), where
 * invocations are SIMD lanes and workgroup barriers are expensive: no workgroup memory at all.
 *
 * Each invocation keeps a rows x cols block of C in registers. A workgroup is one row of
 * invocations that share the same rows of A (they differ only in their columns), so every load
 * of A has a workgroup-uniform address, which llvmpipe turns into one scalar load broadcast to all
 * lanes; B, the only per-lane (gathered) load, is read as vec4 and reused for `rows` FMAs. The
 * vec4 form needs 4-aligned strides and block sizes; the scalar form takes any shape.
 */
export interface RegisterTiling {
  rows: number;
  cols: number;
  workgroup: number;
  transA: boolean;
  transB: boolean;
  vec4: boolean;
}

export function registerTileName(t: RegisterTiling): string {
  return `matmul/registers/${t.rows}x${t.cols}/wg${t.workgroup}/${t.transA ? 'aT' : 'a'}${t.transB ? 'bT' : 'b'}/${t.vec4 ? 'vec4' : 'scalar'}`;
}

export function registerMatmulKernel(t: RegisterTiling) {
  return defineKernel(registerTileName(t), matmulSignature(t.vec4), () => (t.vec4 ? vec4Source(t) : scalarSource(t)));
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function header(t: RegisterTiling): string {
  return `
@compute @workgroup_size(${t.workgroup})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * ${t.rows}u;
  let col0 = (wid.x * ${t.workgroup}u + lid.x) * ${t.cols}u;
  let a0 = p.a_base + wid.z * p.a_batch;
  let b0 = p.b_base + wid.z * p.b_batch;
  let c0 = p.c_base + wid.z * p.c_batch;`;
}

/** 4-aligned operands: A and B as vec4 (4 steps of k per iteration), C stored as vec4. */
function vec4Source(t: RegisterTiling): string {
  const R = range(t.rows);
  const Q = range(t.cols / 4);
  const KK = range(4);
  const lines: string[] = [header(t)];
  // per-row / per-column base indices (in vec4 units), clamped so that edge blocks read in bounds
  if (t.transA) for (const q of range(t.rows / 4)) lines.push(`  let ia${q} = (a0 + min(row0 + ${4 * q}u, p.M - 4u)) / 4u;`);
  else for (const r of R) lines.push(`  let ia${r} = (a0 + min(row0 + ${r}u, p.M - 1u) * p.lda) / 4u;`);
  if (t.transB) for (const c of range(t.cols)) lines.push(`  let ib${c} = (b0 + min(col0 + ${c}u, p.N - 1u) * p.ldb) / 4u;`);
  else for (const q of Q) lines.push(`  let ib${q} = (b0 + min(col0 + ${4 * q}u, p.N - 4u)) / 4u;`);
  lines.push('  let lda4 = p.lda / 4u;', '  let ldb4 = p.ldb / 4u;');
  for (const r of R) for (const q of Q) lines.push(`  var acc${r}_${q} = vec4<f32>();`);
  lines.push('  for (var k = 0u; k < p.K; k += 4u) {', '    let k4 = k / 4u;');
  // A(r, k + kk) as aval(r, kk)
  let aval: (r: number, kk: number) => string;
  if (t.transA) {
    for (const kk of KK) for (const q of range(t.rows / 4)) lines.push(`    let a${kk}_${q} = vec4<f32>(A[ia${q} + (k + ${kk}u) * lda4]);`);
    aval = (r, kk) => `a${kk}_${r >> 2}[${r & 3}]`;
  } else {
    for (const r of R) lines.push(`    let a${r} = vec4<f32>(A[ia${r} + k4]);`);
    aval = (r, kk) => `a${r}[${kk}]`;
  }
  // B(k + kk, 4q .. 4q + 3) as bvec(kk, q)
  let bvec: (kk: number, q: number) => string;
  if (t.transB) {
    for (const c of range(t.cols)) lines.push(`    let b${c} = vec4<f32>(B[ib${c} + k4]);`);
    bvec = (kk, q) =>
      `vec4<f32>(${range(4)
        .map((j) => `b${4 * q + j}[${kk}]`)
        .join(', ')})`;
  } else {
    for (const kk of KK) for (const q of Q) lines.push(`    let b${kk}_${q} = vec4<f32>(B[ib${q} + (k + ${kk}u) * ldb4]);`);
    bvec = (kk, q) => `b${kk}_${q}`;
  }
  // one assignment per accumulator per iteration, the four k steps nested inside it: llvmpipe
  // writes loop-carried variables back under the execution mask, so fewer writes, less overhead
  for (const r of R) {
    for (const q of Q) {
      const chain = KK.reduce((acc, kk) => `fma(vec4<f32>(${aval(r, kk)}), ${bvec(kk, q)}, ${acc})`, `acc${r}_${q}`);
      lines.push(`    acc${r}_${q} = ${chain};`);
    }
  }
  lines.push('  }');
  for (const r of R) {
    for (const q of Q) {
      lines.push(`  if (row0 + ${r}u < p.M && col0 + ${4 * q}u < p.N) {
    let at = (c0 + (row0 + ${r}u) * p.ldc + col0 + ${4 * q}u) / 4u;
    var v = acc${r}_${q};
    if (p.accumulate != 0u) { v += vec4<f32>(C[at]); }
    C[at] = vec4<F>(v);
  }`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}

/** Any shape: scalar loads, one step of k per iteration, C stored element by element. */
function scalarSource(t: RegisterTiling): string {
  const R = range(t.rows);
  const Q = range(t.cols / 4);
  const lines: string[] = [header(t)];
  for (const r of R) lines.push(`  let ia${r} = a0 + min(row0 + ${r}u, p.M - 1u)${t.transA ? '' : ' * p.lda'};`);
  for (const c of range(t.cols)) lines.push(`  let ib${c} = b0 + min(col0 + ${c}u, p.N - 1u)${t.transB ? ' * p.ldb' : ''};`);
  for (const r of R) for (const q of Q) lines.push(`  var acc${r}_${q} = vec4<f32>();`);
  lines.push('  for (var k = 0u; k < p.K; k++) {');
  for (const r of R) lines.push(`    let a${r} = f32(A[ia${r} + ${t.transA ? 'k * p.lda' : 'k'}]);`);
  for (const c of range(t.cols)) lines.push(`    let b${c} = f32(B[ib${c} + ${t.transB ? 'k' : 'k * p.ldb'}]);`);
  for (const r of R) {
    for (const q of Q)
      lines.push(
        `    acc${r}_${q} = fma(vec4<f32>(a${r}), vec4<f32>(${range(4)
          .map((j) => `b${4 * q + j}`)
          .join(', ')}), acc${r}_${q});`,
      );
  }
  lines.push('  }');
  for (const r of R) {
    for (const c of range(t.cols)) {
      lines.push(`  if (row0 + ${r}u < p.M && col0 + ${c}u < p.N) {
    let at = c0 + (row0 + ${r}u) * p.ldc + col0 + ${c}u;
    var v = acc${r}_${c >> 2}[${c & 3}];
    if (p.accumulate != 0u) { v += f32(C[at]); }
    C[at] = F(v);
  }`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}
