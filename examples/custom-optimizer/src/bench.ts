import { type WebGPUBackend, createWebGPUBackend } from '@rr/kernels-webgpu';
import { type Backend, type Tensor, createCpuBackend } from '@rr/tensor';
import { Lion } from './lion.js';
import { KernelLion } from './lion-kernel.js';

/**
 * Speed of one Lion update (a benchmark, never a test): the JS-kernel Lion against a hand-written
 * fused WGSL kernel (one dispatch reading g and updating p and m in place) and against the
 * hand-written Lion in device ops, on the same backend in one run, as medians and ratios.
 *
 *   node dist/bench.js [elements = 1048576] [repetitions = 15]
 *
 * Each repetition runs every variant once (interleaved, so load on the machine hits all alike)
 * and waits for the device after each.
 */
const FUSED_LION = {
  name: 'bench/lion fused',
  code: `
struct Params { n: u32, lr: f32, decay: f32, w1: f32, w2: f32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= P.n) { return; }
  let mi = m[i];
  let gi = g[i];
  w[i] = w[i] * P.decay - P.lr * sign(mi + P.w1 * (gi - mi));
  m[i] = mi + P.w2 * (gi - mi);
}`,
};

const LR = 1e-3;
const BETA1 = 0.9;
const BETA2 = 0.99;
const WD = 0.1;

type Update = (p: Tensor, g: Tensor) => void;

function viaOptimizer(opt: Lion): Update {
  return (p, g) => opt.step([{ name: 'p', tensor: p }], [g]);
}

function fused(backend: WebGPUBackend, m: Tensor): Update {
  return (p, g) => {
    const ctx = backend.kernels('lion fused');
    const params = [
      ['u32', p.size],
      ['f32', LR],
      ['f32', 1 - LR * WD],
      ['f32', 1 - BETA1],
      ['f32', 1 - BETA2],
    ] as const;
    ctx.dispatch(FUSED_LION, { read: [g], write: [p, m], params, workgroups: ctx.grid1d(p.size, 256) });
  };
}

async function time(backend: Backend, variants: Record<string, Update>, n: number, reps: number): Promise<Record<string, number>> {
  const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const state = Object.fromEntries(Object.keys(variants).map((k) => [k, backend.upload(values, [n], 'f32')]));
  const g = backend.upload(
    Float32Array.from({ length: n }, (_, i) => Math.cos(3 * i)),
    [n],
    'f32',
  );
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < reps + 2; r++) {
    for (const [name, update] of Object.entries(variants)) {
      const t0 = performance.now();
      update(state[name]!, g);
      await backend.sync();
      if (r >= 2) samples[name]!.push(performance.now() - t0); // two warm-up rounds: pipelines, pool
    }
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, s.sort((a, b) => a - b)[Math.floor(s.length / 2)]!]));
  // every variant computed the same update (up to a sign decided by rounding where the
  // interpolation is ~0): a benchmark of a wrong kernel would mean nothing
  const reference = await state[Object.keys(variants)[0]!]!.read();
  for (const [name, t] of Object.entries(state)) {
    const got = await t.read();
    let differing = 0;
    for (let i = 0; i < n; i++) if (Math.abs(got[i]! - reference[i]!) > 1e-5) differing++;
    if (differing > n * 1e-4) throw new Error(`bench: ${name} differs from the first variant in ${differing} of ${n} elements`);
    t.dispose();
  }
  g.dispose();
  return medians;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1 << 20);
  const reps = Number(process.argv[3] ?? 15);
  const gpu = await createWebGPUBackend();
  const cpu = createCpuBackend();
  try {
    const m = gpu.zeros([n], 'f32');
    const onGpu = await time(
      gpu,
      {
        'js kernel': viaOptimizer(new KernelLion(LR, BETA1, BETA2, WD)),
        'fused wgsl': fused(gpu, m),
        'device ops': viaOptimizer(new Lion(LR, BETA1, BETA2, WD)),
      },
      n,
      reps,
    );
    const onCpu = await time(
      cpu,
      { 'js kernel': viaOptimizer(new KernelLion(LR, BETA1, BETA2, WD)), 'device ops': viaOptimizer(new Lion(LR, BETA1, BETA2, WD)) },
      n,
      reps,
    );
    const report = {
      elements: n,
      repetitions: reps,
      adapter: gpu.adapter?.description ?? 'injected device',
      webgpuMs: onGpu,
      cpuMs: onCpu,
      ratios: {
        'webgpu: js kernel / fused wgsl': onGpu['js kernel']! / onGpu['fused wgsl']!,
        'webgpu: js kernel / device ops': onGpu['js kernel']! / onGpu['device ops']!,
        'cpu: js kernel / device ops': onCpu['js kernel']! / onCpu['device ops']!,
      },
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    gpu.destroy();
    cpu.destroy();
  }
}

await main();
