import { create, globals } from 'webgpu';
import { registerMatmulSpec } from './gen/registers.js';
import { tiledMatmulSpec } from './gen/tiled.js';
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice({ requiredFeatures: ['shader-f16'], requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024 } });
device.addEventListener('uncapturederror', (e) => console.error('ERR', e.error.message));
const sizes = (process.env.SIZES ?? '512,1024').split(',').map(Number);
const secs = Number(process.env.SECS ?? 2);
const F = process.env.F ?? 'f32';

async function bench(name, spec, geom) {
  let code = spec.code({ float: F });
  if (process.env.HACK === 'uniformB') code = code.replace('let col0 = (wid.x * ${"$"}{0}', '').replace(/let col0 = \(wid\.x \* (\d+)u \+ lid\.x\)/, 'let col0 = (wid.x * $1u + 0u)');
  if (process.env.HACK === 'hoist') code = code.replace('for (var k = 0u; k < p.K; k += 4u) {', 'let KK = p.K;\n  for (var k = 0u; k < KK; k += 4u) {');
  if (process.env.DUMP) console.log(code);
  if (F === 'f16' && !code.includes('enable f16')) code = 'enable f16;\n' + code;
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  for (const m of info.messages) if (m.type === 'error') { console.log(name, m.message, m.lineNum); return; }
  const t0 = performance.now();
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module } });
  const out = [`compile ${(performance.now() - t0).toFixed(0)}ms`];
  for (const n of sizes) {
    const bpe = F === 'f16' ? 2 : 4;
    const bytes = n * n * bpe;
    const mk = (usage) => device.createBuffer({ size: bytes, usage });
    const a = mk(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST), b = mk(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST), c = mk(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const st = mk(GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const u = device.createBuffer({ size: 64, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(u, 0, new Uint32Array([n, n, n, n, n, n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [u, a, b, c].map((buffer, i) => ({ binding: i, resource: { buffer } })) });
    const once = async () => {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass(); pass.setPipeline(pipeline); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(Math.ceil(n / geom.cols), Math.ceil(n / geom.rows)); pass.end();
      enc.copyBufferToBuffer(c, 0, st, 0, bytes);
      device.queue.submit([enc.finish()]);
      await st.mapAsync(GPUMapMode.READ); st.unmap();
      return performance.now() - t0;
    };
    const tw = performance.now(); await once(); out.push(`first ${(performance.now() - tw).toFixed(0)}ms`);
    const ts = []; const c0 = process.cpuUsage(); const end = performance.now() + secs * 1000; while (ts.length < 3 || performance.now() < end) ts.push(await once());
    const cu = process.cpuUsage(c0); const cpuMs = (cu.user + cu.system) / 1000 / ts.length;
    ts.sort((x, y) => x - y);
    out.push(`${n}: med ${(2 * n ** 3 / ts[ts.length >> 1] / 1e6).toFixed(2)} best ${(2 * n ** 3 / ts[0] / 1e6).toFixed(2)} cpu ${(2 * n ** 3 / cpuMs / 1e6).toFixed(2)}`);
    for (const x of [a, b, c, st, u]) x.destroy();
  }
  console.log(name.padEnd(28), out.join('  '));
}
for (const v of process.argv.slice(2)) {
  const [kind, R, C, WG, tA, tB] = v.split(':');
  if (kind === 'tiled') { await bench(v, tiledMatmulSpec({ transA: R === '1', transB: C === '1', vec4: true }), { rows: 64, cols: 64 }); continue; }
  const t = { rows: +R, cols: +C, workgroup: +WG, transA: tA === '1', transB: tB === '1', vec4: kind !== 'scalar' };
  await bench(v, registerMatmulSpec(t), { rows: t.rows, cols: t.cols * t.workgroup });
}
device.destroy();
