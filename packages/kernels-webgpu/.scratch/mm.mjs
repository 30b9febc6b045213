import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024 } });
device.addEventListener('uncapturederror', (e) => console.error('ERR', e.error.message));

// lanes along columns: A (rows) uniform across workgroup; B gathered as vec4
function genCols(R, C, WG) {
  const C4 = C / 4;
  let s = `
struct P { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Cc: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col4 = (wid.x * ${WG}u + lid.x) * ${C4}u;
  let row0 = wid.y * ${R}u;
  let N4 = p.N / 4u; let K4 = p.K / 4u;
`;
  for (let r = 0; r < R; r++) for (let c = 0; c < C4; c++) s += `  var acc${r}_${c} = vec4<f32>(0.0);\n`;
  s += `  for (var k4 = 0u; k4 < K4; k4++) {\n`;
  for (let r = 0; r < R; r++) s += `    let a${r} = A[(row0 + ${r}u) * K4 + k4];\n`;
  for (let kk = 0; kk < 4; kk++) {
    for (let c = 0; c < C4; c++) s += `    let b${kk}_${c} = B[(k4 * 4u + ${kk}u) * N4 + col4 + ${c}u];\n`;
  }
  for (let kk = 0; kk < 4; kk++) for (let r = 0; r < R; r++) for (let c = 0; c < C4; c++) s += `    acc${r}_${c} = fma(vec4<f32>(a${r}[${kk}]), b${kk}_${c}, acc${r}_${c});\n`;
  s += `  }\n  if (col4 >= N4) { return; }\n`;
  for (let r = 0; r < R; r++) for (let c = 0; c < C4; c++) s += `  Cc[(row0 + ${r}u) * N4 + col4 + ${c}u] = acc${r}_${c};\n`;
  s += `}\n`;
  return { code: s, groups: (M, N) => [Math.ceil(N / (C * WG)), Math.ceil(M / R)] };
}

// lanes along rows: B uniform, A gathered (A vec4 along k)
function genRows(R, C, WG) {
  const C4 = C / 4;
  let s = `
struct P { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Cc: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col4 = wid.x * ${C4}u;
  let row0 = (wid.y * ${WG}u + lid.x) * ${R}u;
  let N4 = p.N / 4u; let K4 = p.K / 4u;
`;
  for (let r = 0; r < R; r++) for (let c = 0; c < C4; c++) s += `  var acc${r}_${c} = vec4<f32>(0.0);\n`;
  s += `  for (var k4 = 0u; k4 < K4; k4++) {\n`;
  for (let r = 0; r < R; r++) s += `    let a${r} = A[(row0 + ${r}u) * K4 + k4];\n`;
  for (let kk = 0; kk < 4; kk++) {
    for (let c = 0; c < C4; c++) s += `    let b${kk}_${c} = B[(k4 * 4u + ${kk}u) * N4 + col4 + ${c}u];\n`;
  }
  for (let kk = 0; kk < 4; kk++) for (let r = 0; r < R; r++) for (let c = 0; c < C4; c++) s += `    acc${r}_${c} = fma(vec4<f32>(a${r}[${kk}]), b${kk}_${c}, acc${r}_${c});\n`;
  s += `  }\n  if (row0 >= p.M) { return; }\n`;
  for (let r = 0; r < R; r++) for (let c = 0; c < C4; c++) s += `  Cc[(row0 + ${r}u) * N4 + col4 + ${c}u] = acc${r}_${c};\n`;
  s += `}\n`;
  return { code: s, groups: (M, N) => [Math.ceil(N / C), Math.ceil(M / (R * WG))] };
}

async function bench(name, k, sizes) {
  const module = device.createShaderModule({ code: k.code });
  const info = await module.getCompilationInfo();
  for (const m of info.messages) if (m.type === 'error') { console.log(name, m.message); return; }
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const out = [];
  for (const n of sizes) {
    const bytes = n * n * 4;
    const mk = (usage) => device.createBuffer({ size: bytes, usage });
    const a = mk(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST), b = mk(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST), c = mk(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const st = mk(GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const ha = new Float32Array(n * n).map(() => Math.random() - 0.5), hb = new Float32Array(n * n).map(() => Math.random() - 0.5);
    device.queue.writeBuffer(a, 0, ha); device.queue.writeBuffer(b, 0, hb);
    const u = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(u, 0, new Uint32Array([n, n, n, 0]));
    const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [u, a, b, c].map((buffer, i) => ({ binding: i, resource: { buffer } })) });
    const [gx, gy] = k.groups(n, n);
    const once = async () => {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass(); pass.setPipeline(pipeline); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(gx, gy); pass.end();
      enc.copyBufferToBuffer(c, 0, st, 0, bytes);
      device.queue.submit([enc.finish()]);
      await st.mapAsync(GPUMapMode.READ); const r = new Float32Array(st.getMappedRange().slice(0)); st.unmap();
      return [performance.now() - t0, r];
    };
    const [, r] = await once();
    // check a few entries
    let err = 0; for (let t = 0; t < 20; t++) { const i = (Math.random() * n) | 0, j = (Math.random() * n) | 0; let s = 0; for (let q = 0; q < n; q++) s += ha[i * n + q] * hb[q * n + j]; err = Math.max(err, Math.abs(s - r[i * n + j])); }
    const ts = []; const c0 = process.cpuUsage(); const end = performance.now() + (n >= 1024 ? 3000 : 1500); while (ts.length < 3 || performance.now() < end) ts.push((await once())[0]);
    const cu = process.cpuUsage(c0); const cpuMs = (cu.user + cu.system) / 1000 / ts.length;
    ts.sort((x, y) => x - y); const ms = ts[0];
    out.push(`${n}: best ${(2 * n ** 3 / ms / 1e6).toFixed(2)} cpu ${(2 * n ** 3 / cpuMs / 1e6).toFixed(2)}${err > 1e-3 ? ' ERR ' + err : ''}`);
    for (const x of [a, b, c, st, u]) x.destroy();
  }
  console.log(name.padEnd(24), out.join('  '));
}
const sizes = (process.env.SIZES ?? '512,1024').split(',').map(Number);
const variants = process.argv.slice(2);
for (const v of variants) {
  const [kind, R, C, WG] = v.split(':');
  const g = kind === 'cols' ? genCols : genRows;
  await bench(v, g(+R, +C, +WG), sizes);
}
device.destroy();
