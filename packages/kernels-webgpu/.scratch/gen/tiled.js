// src/wgsl/source.ts
function declare(b) {
  const lines = [];
  const params = b.params ?? [];
  const f16 = [...b.read ?? [], ...b.write ?? []].some(([, t]) => t.includes("f16"));
  if (f16) lines.push("enable f16;");
  if (params.length > 0) {
    lines.push(`struct Params { ${params.map(([n, t]) => `${n}: ${t}`).join(", ")} }`);
    lines.push("@group(0) @binding(0) var<uniform> p: Params;");
  }
  let binding = 1;
  for (const [name, type] of b.read ?? []) lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${name}: array<${type}>;`);
  for (const [name, type] of b.write ?? []) lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${name}: array<${type}>;`);
  return lines.join("\n");
}

// src/kernels/matmul/problem.ts
var PARAMS_WGSL = [
  "M",
  "N",
  "K",
  "lda",
  "ldb",
  "ldc",
  "a_base",
  "b_base",
  "c_base",
  "a_batch",
  "b_batch",
  "c_batch",
  "accumulate"
].map((name) => [name, "u32"]);

// src/kernels/matmul/tiled.ts
var TILED_GEOMETRY = { rowsPerGroup: 64, colsPerGroup: 64 };
function tiledMatmulSpec(c) {
  return {
    name: `matmul/tiled/64x64/${c.transA ? "aT" : "a"}${c.transB ? "bT" : "b"}/${c.vec4 ? "vec4" : "scalar"}`,
    code: (v) => source(c, v.float)
  };
}
var J = [0, 1, 2, 3];
function load4(name, vec4, base, ld, row, rowCount, col, colCount, kAxis) {
  if (vec4) {
    const kRows = kAxis === "rows";
    const r = kRows ? `(${row})` : `min(${row}, ${rowCount} - 1u)`;
    const c = kRows ? `min(${col}, ${colCount} - 4u)` : col;
    const inBounds = kRows ? `${row} < ${rowCount}` : `${col} < ${colCount}`;
    return `var v = vec4<f32>(); if (${inBounds}) { v = vec4<f32>(${name}[(${base} + ${r} * ${ld} + ${c}) / 4u]); }`;
  }
  return `var v = vec4<f32>();
${J.map((j) => `    if (${row} < ${rowCount} && ${col} + ${j}u < ${colCount}) { v[${j}] = f32(${name}[${base} + (${row}) * ${ld} + ${col} + ${j}u]); }`).join("\n")}`;
}
function source(c, F) {
  const element = c.vec4 ? `vec4<${F}>` : F;
  const loadA = c.transA ? `  { let kk = t / 16u; let mq = (t % 16u) * 4u;
    ${load4("A", c.vec4, "a0", "p.lda", "kt + kk", "p.K", "m0 + mq", "p.M", "rows")}
    As[kk][mq / 4u] = v; }` : `  { let r = t / 4u; let kq = (t % 4u) * 4u;
    ${load4("A", c.vec4, "a0", "p.lda", "m0 + r", "p.M", "kt + kq", "p.K", "cols")}
    ${J.map((j) => `As[kq + ${j}u][r / 4u][r % 4u] = v[${j}];`).join(" ")} }`;
  const loadB = c.transB ? `  { let n = t / 4u; let kq = (t % 4u) * 4u;
    ${load4("B", c.vec4, "b0", "p.ldb", "n0 + n", "p.N", "kt + kq", "p.K", "cols")}
    ${J.map((j) => `Bs[kq + ${j}u][n / 4u][n % 4u] = v[${j}];`).join(" ")} }` : `  { let kk = t / 16u; let nq = (t % 16u) * 4u;
    ${load4("B", c.vec4, "b0", "p.ldb", "kt + kk", "p.K", "n0 + nq", "p.N", "rows")}
    Bs[kk][nq / 4u] = v; }`;
  const store = c.vec4 ? J.map(
    (i) => `  if (row + ${i}u < p.M && col < p.N) {
    let at = (c0 + (row + ${i}u) * p.ldc + col) / 4u;
    var v = acc${i};
    if (p.accumulate != 0u) { v += vec4<f32>(C[at]); }
    C[at] = vec4<${F}>(v);
  }`
  ).join("\n") : J.flatMap(
    (i) => J.map(
      (j) => `  if (row + ${i}u < p.M && col + ${j}u < p.N) {
    let at = c0 + (row + ${i}u) * p.ldc + col + ${j}u;
    var v = acc${i}[${j}];
    if (p.accumulate != 0u) { v += f32(C[at]); }
    C[at] = ${F}(v);
  }`
    )
  ).join("\n");
  return `
${declare({ params: PARAMS_WGSL, read: [["A", element], ["B", element]], write: [["C", element]] })}
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
export {
  TILED_GEOMETRY,
  tiledMatmulSpec
};
