import { loadavg } from 'node:os';
import type { Command } from 'commander';
import { type Backend, RRError, Rng, type Tensor, grad, keep, ops, scope } from '@rr/tensor';
import { decoderLayer, initializeWeights, layerNames } from '@rr/model';
import { type BackendChoice, backendChoiceOf, backendOption, createBackend } from '../backends.js';
import { positiveInt } from '../flags.js';
import { type BenchReporting, printBenchmark } from './bench-output.js';
import { type LayerShape, type LayerShapeFlags, checkLayerShape, layerShapeOf, layerShapeOptions, llamaConfigOf, median } from './bench-layer.js';
import { type OpProfile, OpProfiler, formatOpProfile } from './op-profile.js';
import type { CliIO } from '../program.js';

/** One Llama decoder layer and the batch it runs on (snake case: it is printed under "config"). */
export interface BlockBenchConfig extends LayerShape {
  dtype: 'f32';
}

/** The shape: a small Llama block with grouped-query attention. */
export const DEFAULT_BLOCK_BENCH: BlockBenchConfig = { dim: 256, heads: 8, kv_heads: 4, head_dim: 32, ffn: 688, seq: 256, batch: 4, dtype: 'f32' };

export interface BlockBenchReport {
  backend: string;
  /** The GPU adapter (null on the CPU backend). */
  adapter: string | null;
  tokens_per_s: number;
  /** Median of the timed steps (ms); a step is forward + backward to the input and every weight. */
  step_ms: number;
  steps_ms: number[];
  config: BlockBenchConfig;
  flops_per_step: number;
  flops: { linear: number; attention: number };
  achieved_gflops: number;
  /**
   * GPU buffers the backend's pool allocated during each timed step, when the backend has a pool
   * (WebGPU): after the warm-up a step should allocate nothing.
   */
  pool_allocations_per_step: number[] | null;
  load_avg: number;
  /** With `profile`: backend time per op kind and phase, per timed step. */
  profile?: OpProfile;
}

export interface BlockBenchOptions {
  backend: string;
  /** Told which backend runs the benchmark, before it starts. */
  onBackend?: ((choice: BackendChoice) => void) | undefined;
  config: BlockBenchConfig;
  steps: number;
  /** Time every backend call by op kind and phase (forward / backward). */
  profile?: boolean;
  progress?: ((message: string) => void) | undefined;
}

/**
 * Matmul-shaped FLOPs of one forward + backward of the layer (norms, RoPE, SwiGLU are
 * memory-bound and small next to these):
 *   linear     6 * tokens * N, N = q, k, v, o, gate, up, down parameters (2 forward + 4 backward)
 *   attention  3 * 4 * B * T^2 * heads * head_dim: QK^T and PV over the full square, backward twice
 *              the forward. A causal kernel skips about half; counting the square keeps the figure
 *              comparable with PaLM-style accounting (and with `rr bench train`).
 */
export function blockStepFlops(c: BlockBenchConfig): { linear: number; attention: number } {
  const q = c.heads * c.head_dim;
  const kv = c.kv_heads * c.head_dim;
  const params = c.dim * q + 2 * c.dim * kv + q * c.dim + 3 * c.dim * c.ffn;
  return { linear: 6 * c.batch * c.seq * params, attention: 3 * 4 * c.batch * c.seq * c.seq * q };
}

interface PoolCounting {
  poolStats(): { allocations: number };
}
const hasPool = (b: Backend): b is Backend & PoolCounting => typeof (b as Partial<PoolCounting>).poolStats === 'function';

/**
 * Times forward + backward of one randomly initialised Llama decoder layer on a fixed random input
 * with a fixed random upstream gradient: one warm-up step, then the median of `steps`. Reading one
 * gradient back ends each step, so the timing covers all queued device work.
 */
export async function benchBlock(options: BlockBenchOptions): Promise<BlockBenchReport> {
  const c = options.config;
  checkLayerShape(c, 'rr bench block');
  if (!Number.isInteger(options.steps) || options.steps <= 0)
    throw new RRError('BAD_FLAG', `rr bench block: --steps ${options.steps} must be a positive integer.`);
  const backend = await createBackend(options.backend, { onChosen: options.onBackend });
  const times: number[] = [];
  const allocations: number[] = [];
  let profile: OpProfile | undefined;
  const profiler = options.profile ? new OpProfiler(backend) : undefined;
  try {
    const config = llamaConfigOf(c, { layers: 1, vocab: 2 });
    const names = layerNames(0, 'llama');
    const weights = initializeWeights(config, backend, { seed: 0 });
    const layerWeights = Object.values(names).map((name) => weights.get(name)!);
    for (const w of layerWeights) w.requiresGrad = true;
    const rng = Rng.fromSeed(0).stream('bench-block');
    const shape = [c.batch, c.seq, c.dim];
    const size = c.batch * c.seq * c.dim;
    const x = keep(backend.upload(rng.stream('x').fillNormal(new Float32Array(size), 0, 1), shape, 'f32'));
    const dy = keep(backend.upload(rng.stream('dy').fillNormal(new Float32Array(size), 0, 1 / Math.sqrt(size)), shape, 'f32'));
    x.requiresGrad = true;
    try {
      for (let i = 0; i <= options.steps; i++) {
        options.progress?.(i === 0 ? `warm-up step on ${backend.name}...` : `step ${i}/${options.steps} on ${backend.name}...`);
        if (i === 1) profiler?.reset();
        const before = hasPool(backend) ? backend.poolStats().allocations : 0;
        const t0 = performance.now();
        const grads = scope(() => {
          profiler?.enter('forward');
          const y = decoderLayer(x, (name) => weights.get(name)!, names, config);
          // <y, dy> makes dy the upstream gradient of y
          const l = ops.sum(ops.mul(y, dy));
          profiler?.enter('backward');
          return grad(l, [x, ...layerWeights]);
        });
        profiler?.leave();
        try {
          await grads[0]!.read();
        } finally {
          grads.forEach((g: Tensor) => g.dispose());
        }
        if (i > 0) {
          times.push(performance.now() - t0);
          if (hasPool(backend)) allocations.push(backend.poolStats().allocations - before);
        }
        profiler?.step();
      }
      profile = profiler?.report();
    } finally {
      x.dispose();
      dy.dispose();
      for (const w of weights.values()) w.dispose();
    }
  } finally {
    profiler?.stop();
    backend.destroy();
  }
  const stepMs = median(times);
  const flops = blockStepFlops(c);
  const flopsPerStep = flops.linear + flops.attention;
  return {
    backend: backend.name,
    adapter: backendChoiceOf(backend)?.adapter ?? null,
    tokens_per_s: (c.batch * c.seq) / (stepMs / 1000),
    step_ms: stepMs,
    steps_ms: times,
    config: c,
    flops_per_step: flopsPerStep,
    flops,
    achieved_gflops: flopsPerStep / (stepMs * 1e6),
    pool_allocations_per_step: allocations.length ? allocations : null,
    load_avg: loadavg()[0]!,
    ...(profile ? { profile } : {}),
  };
}

export function formatBlockBenchReport(r: BlockBenchReport): string {
  const c = r.config;
  const g = (flops: number): string => String(Number((flops / 1e9).toPrecision(3)));
  const lines = [
    `Llama block forward + backward on ${r.backend}: dim ${c.dim}, heads ${c.heads}/${c.kv_heads} kv (head dim ${c.head_dim}), ffn ${c.ffn}, batch ${c.batch} x seq ${c.seq}, ${c.dtype}`,
    `  ${r.tokens_per_s.toFixed(0)} tokens/s, ${r.step_ms.toFixed(1)} ms/step (median of ${r.steps_ms.length} after a warm-up step)`,
    `  FLOPs ${g(r.flops_per_step)} GFLOP/step = linear ${g(r.flops.linear)} + attention ${g(r.flops.attention)} (full square); achieved ${Number(r.achieved_gflops.toPrecision(3))} GFLOP/s`,
  ];
  if (r.pool_allocations_per_step) lines.push(`  GPU buffers allocated per timed step: ${r.pool_allocations_per_step.join(', ')}`);
  lines.push(`  load average ${r.load_avg.toFixed(2)}`);
  return `${lines.join('\n')}\n${r.profile ? formatOpProfile(r.profile) : ''}`;
}

/** Registers `rr bench block` under the `bench` command. */
export function registerBenchBlock(bench: Command, io: CliIO): void {
  const d = DEFAULT_BLOCK_BENCH;
  const command = bench
    .command('block')
    .description('Tokens/s of one Llama decoder layer, forward + backward (input and weight gradients).')
    .addOption(backendOption())
    .option('--steps <n>', 'timed steps after one warm-up (the median is reported)', positiveInt, 5);
  layerShapeOptions(command, d)
    .option('--profile', 'time every backend call by op kind and phase (forward / backward)')
    .option('--json', 'print one JSON object instead of text')
    .action((o: LayerShapeFlags & { backend: string; steps: number; profile?: boolean; json?: boolean }) => {
      const config: BlockBenchConfig = { ...d, ...layerShapeOf(o) };
      const run = (reporting: BenchReporting) => benchBlock({ backend: o.backend, config, steps: o.steps, profile: o.profile === true, ...reporting });
      return printBenchmark(io, o.json, run, formatBlockBenchReport);
    });
}
