import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import type { Command } from 'commander';
import { type Backend, RRError, Rng } from '@rr/tensor';
import { RecurrentLM, initializeWeights } from '@rr/model';
import { retrofit } from '@rr/surgery';
import { GRAD_CLIP_MAX_NORM, MuonWithAdamW } from '@rr/muon';
import { type PackedRows, Trainer } from '@rr/train';
import { type BackendChoice, backendChoiceOf, backendOption, createBackend } from '../backends.js';
import { positiveInt } from '../flags.js';
import { type BenchReporting, printBenchmark } from './bench-output.js';
import { type LayerShape, type LayerShapeFlags, checkLayerShape, layerShapeOf, layerShapeOptions, llamaConfigOf, median } from './bench-layer.js';
import { type OpProfile, OpProfiler, formatOpProfile } from './op-profile.js';
import { INSTALL_TORCH, PYTHON, findRepoTool, torchTimingEnv } from './torch-python.js';
import type { CliIO } from '../program.js';

/**
 * The benchmarked model and step. Snake case because the same object is the PyTorch peer's
 * argument (tools/bench_train_torch.py reads these keys) and is printed under "config".
 */
export interface TrainBenchConfig extends LayerShape {
  vocab: number;
  /** Layers of the static model before surgery; the plan keeps all of them. */
  layers: number;
  /** (prelude, block, coda) layer counts. */
  plan: [number, number, number];
  /** Recurrence r = no_grad_steps + grad_steps; by default the benchmark records every step. */
  no_grad_steps: number;
  grad_steps: number;
  dtype: 'f32';
  rope_theta: number;
  rms_norm_eps: number;
}

export const DEFAULT_TRAIN_BENCH: TrainBenchConfig = {
  dim: 256,
  heads: 8,
  kv_heads: 4,
  head_dim: 32,
  ffn: 688,
  vocab: 512,
  layers: 6,
  plan: [2, 2, 2],
  no_grad_steps: 0,
  grad_steps: 4,
  seq: 256,
  batch: 4,
  dtype: 'f32',
  rope_theta: 10000,
  rms_norm_eps: 1e-5,
};

/** FLOPs of one training step, by where they are spent (see `trainStepFlops`). */
export interface FlopBreakdown {
  /** Linear layers (q/k/v/o, gate/up/down, adapter, head): 6 per parameter per token, 2 without gradient. */
  linear: number;
  /** QK^T and PV of attention, the full T x T square. */
  attention: number;
  /** Muon's Newton-Schulz iterations on every Muon matrix. */
  newton_schulz: number;
}

export interface TrainBenchPeer {
  tokens_per_s: number;
  step_ms: number;
  torch: string;
  threads: number;
}

/** One round: rr's timed steps, then the peer's run, back to back. */
export interface TrainBenchRound {
  tokens_per_s: number;
  peer_tokens_per_s: number | null;
  ratio: number | null;
}

export interface TrainBenchReport {
  backend: string;
  /** The GPU adapter (null on the CPU backend). */
  adapter: string | null;
  /** Median over every timed step of every round. */
  tokens_per_s: number;
  step_ms: number;
  /** Every timed step (ms), in order: the median hides how noisy they were. */
  steps_ms: number[];
  /** Median of the rounds' peer figures. */
  peer_tokens_per_s: number | null;
  /** rr tokens/s over the peer's, the median of the rounds' ratios: > 1 means rr is faster. */
  ratio: number | null;
  /** Each round's figures, in order (one round unless `rounds` asked for more). */
  rounds: TrainBenchRound[];
  /** The peer's report, with its tokens/s and ms per step the medians over the rounds. */
  peer: TrainBenchPeer | null;
  /** Why there is no peer figure (torch missing, script failed, --no-peer). */
  peer_note?: string;
  config: TrainBenchConfig;
  flops_per_step: number;
  flops: FlopBreakdown;
  achieved_gflops: number;
  /** 1-minute load average at the end: on a shared machine it says how much the figures are worth. */
  load_avg: number;
  cpus: number;
  /** With `profile`: backend time per op kind and phase, per timed step. */
  profile?: OpProfile;
}

export interface TrainBenchOptions {
  backend: string;
  /** Told which backend runs the benchmark, before it starts. */
  onBackend?: ((choice: BackendChoice) => void) | undefined;
  config: TrainBenchConfig;
  /** Timed steps after the warm-up, per round (median reported). */
  steps: number;
  /**
   * Rounds of rr's steps and the peer's run, alternating (default 1): on a machine whose speed
   * drifts over minutes, the median of several back-to-back ratios is worth more than one.
   */
  rounds?: number;
  /** Run the PyTorch peer (default true). */
  peer?: boolean;
  /** Time every backend call by op kind and phase (forward / backward / optimizer). */
  profile?: boolean;
  progress?: ((message: string) => void) | undefined;
}

/**
 * Checks a config before any work: the CLI's flags end up here, and so do callers of
 * `benchTrain`. Head dim = dim / heads must be a whole, even number (RoPE rotates pairs).
 */
export function checkTrainBenchConfig(c: TrainBenchConfig): void {
  checkLayerShape(c, 'rr bench train');
  const bad = (message: string): never => {
    throw new RRError('BAD_FLAG', `rr bench train: ${message}`);
  };
  for (const key of ['vocab', 'layers', 'grad_steps'] as const) {
    if (!Number.isInteger(c[key]) || c[key] <= 0) bad(`${key} = ${c[key]} must be a positive integer.`);
  }
  if (!Number.isInteger(c.no_grad_steps) || c.no_grad_steps < 0) bad(`no_grad_steps = ${c.no_grad_steps} must be a non-negative integer.`);
  if (c.plan.reduce((a, b) => a + b, 0) !== c.layers) bad(`plan ${c.plan.join(',')} must use all ${c.layers} layers.`);
}

/**
 * FLOPs of one training step of `c`, counting only matmul-shaped work (elementwise ops, norms,
 * softmax and AdamW are memory-bound and small next to these). T = seq, B = batch, D = dim,
 * per layer application (a block layer applies r times):
 *
 *   linear       6 * B*T * N            N = matmul parameters touched: per layer q, k, v, o, gate,
 *                                        up, down; per recurrence step the adapter (2D x D); the head.
 *                                        6 = 2 forward + 4 backward (input and weight gradients);
 *                                        steps under noGrad count 2 (forward only).
 *   attention    3 * 4 * B * T^2 * H*hd QK^T and PV, 2 * B*T^2*H*hd each, forward; backward twice
 *                                        that. The full square as PaLM's 6N + 12*L*H*Q*T per token
 *                                        counts it: kernels that skip the masked half do half, and a
 *                                        backward that recomputes the scores (rr's CPU kernel) does more.
 *   Newton-Schulz  per Muon matrix m x n (m <= n), 5 times: X X^T (2 m^2 n) + A A (2 m^3) + B X (2 m^2 n).
 *                                        Independent of tokens, and large at this size (~30% here).
 *
 * docs/method.md's matched-compute FLOPs leave out the head, the adapter and attention; this count
 * wants the work the machine actually does, so it keeps them.
 */
export function trainStepFlops(c: TrainBenchConfig): FlopBreakdown {
  const tokens = c.batch * c.seq;
  const q = c.heads * c.head_dim;
  const kv = c.kv_heads * c.head_dim;
  const layerMatrices: [number, number][] = [
    [q, c.dim],
    [kv, c.dim],
    [kv, c.dim],
    [c.dim, q],
    [c.ffn, c.dim],
    [c.ffn, c.dim],
    [c.dim, c.ffn],
  ];
  const adapter: [number, number] = [c.dim, 2 * c.dim];
  const size = ([m, n]: [number, number]): number => m * n;
  const layerParams = layerMatrices.reduce((s, m) => s + size(m), 0);
  const [prelude, block, coda] = c.plan;
  const recorded = prelude + coda + block * c.grad_steps;
  const unrecorded = block * c.no_grad_steps;
  const linear =
    tokens * (6 * (recorded * layerParams + c.grad_steps * size(adapter) + c.vocab * c.dim) + 2 * (unrecorded * layerParams + c.no_grad_steps * size(adapter)));
  const attentionForward = 4 * c.batch * c.seq * c.seq * q;
  const attention = attentionForward * (3 * recorded + unrecorded);
  const newtonSchulz = (m: number, n: number): number => {
    const [lo, hi] = m <= n ? [m, n] : [n, m];
    return 5 * (4 * lo * lo * hi + 2 * lo ** 3);
  };
  const muonMatrices = [...Array.from({ length: c.layers }, () => layerMatrices).flat(), adapter];
  return { linear, attention, newton_schulz: muonMatrices.reduce((s, [m, n]) => s + newtonSchulz(m, n), 0) };
}

/**
 * Times full training steps of a randomly initialised recurrent model: one warm-up step, then
 * the median of `steps`. A step is the Trainer's (packages/train/src/trainer.ts, one micro-batch):
 * forward with truncated backprop, mean cross-entropy, grad, loss read back, global-norm clipping,
 * MuonWithAdamW. Then, unless disabled, the same step in PyTorch as the peer.
 */
export async function benchTrain(options: TrainBenchOptions): Promise<TrainBenchReport> {
  const c = options.config;
  checkTrainBenchConfig(c);
  const rounds = options.rounds ?? 1;
  for (const [flag, n] of [
    ['--steps', options.steps],
    ['--rounds', rounds],
  ] as const) {
    if (!Number.isInteger(n) || n <= 0) throw new RRError('BAD_FLAG', `rr bench train: ${flag} ${n} must be a positive integer.`);
  }
  const backend = await createBackend(options.backend, { onChosen: options.onBackend });
  // the peer gets the CPU backend's threads (all cores beside a GPU backend)
  const peerThreads = (backend as { threads?: number }).threads ?? cpus().length;
  const tokens = c.batch * c.seq;
  const times: number[] = [];
  const roundResults: TrainBenchRound[] = [];
  const peers: TrainBenchPeer[] = [];
  let peerNote: string | undefined = options.peer === false ? 'skipped (--no-peer)' : undefined;
  let profile: OpProfile | undefined;
  try {
    const profiler = options.profile ? new OpProfiler(backend) : undefined;
    const run = setUpRun(backend, c, profiler);
    try {
      options.progress?.(`warm-up step on ${backend.name}...`);
      await run.trainer.trainStep();
      profiler?.leave();
      profiler?.reset();
      for (let round = 1; round <= rounds; round++) {
        const of = rounds > 1 ? ` (round ${round}/${rounds})` : '';
        const roundTimes: number[] = [];
        for (let i = 1; i <= options.steps; i++) {
          options.progress?.(`step ${i}/${options.steps} on ${backend.name}${of}...`);
          const t0 = performance.now();
          await run.trainer.trainStep();
          roundTimes.push(performance.now() - t0);
          profiler?.leave();
          profiler?.step();
        }
        times.push(...roundTimes);
        const ours = tokens / (median(roundTimes) / 1000);
        let theirs: TrainBenchPeer | undefined;
        if (peerNote === undefined) {
          // rr's threads wait idle while the peer runs
          options.progress?.(`PyTorch peer${of}...`);
          const result = await runTorchPeer(c, options.steps, peerThreads);
          if ('note' in result) peerNote = result.note;
          else peers.push((theirs = result));
        }
        roundResults.push({ tokens_per_s: ours, peer_tokens_per_s: theirs?.tokens_per_s ?? null, ratio: theirs ? ours / theirs.tokens_per_s : null });
      }
      profile = profiler?.report();
    } finally {
      run.dispose();
      profiler?.stop();
    }
  } finally {
    backend.destroy();
  }
  const stepMs = median(times);
  const flops = trainStepFlops(c);
  const flopsPerStep = flops.linear + flops.attention + flops.newton_schulz;
  // a peer that failed in a later round leaves no figure: ratios only from complete rounds
  const complete = peerNote === undefined ? roundResults : [];
  const peer: TrainBenchPeer | null =
    complete.length > 0 ? { ...peers.at(-1)!, tokens_per_s: median(peers.map((p) => p.tokens_per_s)), step_ms: median(peers.map((p) => p.step_ms)) } : null;
  return {
    backend: backend.name,
    adapter: backendChoiceOf(backend)?.adapter ?? null,
    tokens_per_s: tokens / (stepMs / 1000),
    step_ms: stepMs,
    steps_ms: times,
    peer_tokens_per_s: peer?.tokens_per_s ?? null,
    ratio: peer ? median(complete.map((r) => r.ratio!)) : null,
    rounds: roundResults,
    peer,
    ...(peerNote ? { peer_note: peerNote } : {}),
    config: c,
    flops_per_step: flopsPerStep,
    flops,
    achieved_gflops: flopsPerStep / (stepMs * 1e6),
    load_avg: loadavg()[0]!,
    cpus: cpus().length,
    ...(profile ? { profile } : {}),
  };
}

interface BenchRun {
  trainer: Trainer;
  dispose(): void;
}

/**
 * The model, optimizer and one fixed batch of random tokens on `backend`, trained by the same
 * `Trainer.trainStep` as `rr train` (one micro-batch, LR factor 1). Its two reads (the NaN check
 * on the loss and the gradient-norm metric) make each timed step include all queued device work.
 */
function setUpRun(backend: Backend, c: TrainBenchConfig, profiler?: OpProfiler): BenchRun {
  const config = llamaConfigOf(c, { layers: c.layers, vocab: c.vocab, ropeTheta: c.rope_theta, rmsNormEps: c.rms_norm_eps });
  // surgery on a random static model, as a retrofit of a pretrained one would run
  const base = new RecurrentLM(config, initializeWeights(config, backend));
  const { model } = retrofit(base, c.plan);
  const optimizer = new MuonWithAdamW();
  const rng = Rng.fromSeed(0).stream('bench-train', 'tokens');
  const rows: PackedRows = {
    tokens: Int32Array.from({ length: c.batch * (c.seq + 1) }, () => rng.integer(c.vocab)),
    scored: new Uint8Array(c.batch * (c.seq + 1)).fill(1),
  };
  const recurrence = c.no_grad_steps + c.grad_steps;
  const trainer = new Trainer({
    model,
    optimizer,
    sampler: { sample: () => ({ noGrad: c.no_grad_steps, withGrad: c.grad_steps }) },
    curriculum: { at: () => recurrence },
    data: { rowLength: c.seq + 1, nextRows: async () => rows },
    batch: c.batch,
    clip: GRAD_CLIP_MAX_NORM,
    phase: 'bench',
  });
  profiler?.followTraining(model, optimizer);
  return {
    trainer,
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

const PEER_SCRIPT = 'tools/bench_train_torch.py';
/** The peer's own budget; a warm-up and 3 steps of the default config take seconds on an idle machine. */
const PEER_TIMEOUT_MS = 15 * 60 * 1000;

function execPython(args: string[], env: NodeJS.ProcessEnv, timeout: number): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, args, { env, timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ ok: !error, stdout, stderr: stderr || (error?.message ?? '') }),
    );
  });
}

/** Runs the PyTorch peer on the same config; a missing torch or a failing script is a note, not an error. */
async function runTorchPeer(c: TrainBenchConfig, steps: number, threads: number): Promise<TrainBenchPeer | { note: string }> {
  const script = findRepoTool(PEER_SCRIPT);
  if (!script) return { note: `no peer: ${PEER_SCRIPT} is not found above this installation (it lives in the rr repository).` };
  const env = torchTimingEnv(threads);
  const probe = await execPython(['-c', 'import torch'], env, 60_000);
  if (!probe.ok) return { note: `no peer: ${PYTHON} cannot import torch (${INSTALL_TORCH}).` };
  const result = await execPython([script, JSON.stringify({ ...c, steps, threads })], env, PEER_TIMEOUT_MS);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    if (!result.ok) throw new Error();
    const peer = JSON.parse(line) as TrainBenchPeer;
    if (!(peer.tokens_per_s > 0)) throw new Error();
    return peer;
  } catch {
    return { note: `no peer: ${PEER_SCRIPT} failed: ${(result.stderr.trim() || line).split('\n').slice(-3).join(' | ')}` };
  }
}

export function formatTrainBenchReport(r: TrainBenchReport): string {
  const c = r.config;
  const g = (flops: number): string => String(Number((flops / 1e9).toPrecision(3)));
  const recurrence = `r ${c.no_grad_steps + c.grad_steps} (${c.no_grad_steps} without + ${c.grad_steps} with gradient)`;
  const lines = [
    `training step on ${r.backend}: dim ${c.dim}, heads ${c.heads}/${c.kv_heads} kv (head dim ${c.head_dim}), ffn ${c.ffn}, vocab ${c.vocab}, plan ${c.plan.join(',')}, ${recurrence}, batch ${c.batch} x seq ${c.seq}, ${c.dtype}`,
    `  rr       ${r.tokens_per_s.toFixed(0).padStart(8)} tokens/s ${r.step_ms.toFixed(0).padStart(8)} ms/step  (median of ${r.steps_ms.length} after a warm-up step)`,
    `  FLOPs    ${g(r.flops_per_step)} GFLOP/step = linear ${g(r.flops.linear)} + attention ${g(r.flops.attention)} + Newton-Schulz ${g(r.flops.newton_schulz)}; achieved ${Number(r.achieved_gflops.toPrecision(3))} GFLOP/s (read against \`rr bench matmul\`)`,
    r.peer
      ? `  PyTorch  ${r.peer.tokens_per_s.toFixed(0).padStart(8)} tokens/s ${r.peer.step_ms.toFixed(0).padStart(8)} ms/step  (torch ${r.peer.torch}, ${r.peer.threads} threads); rr/PyTorch = ${r.ratio!.toFixed(2)}${r.rounds.length > 1 ? ' (median of the rounds)' : ''}`
      : `  PyTorch  ${r.peer_note ?? 'no peer'}`,
    ...(r.rounds.length > 1 && r.peer
      ? r.rounds.map(
          (x, i) =>
            `  round ${i + 1}  rr ${x.tokens_per_s.toFixed(0)}, PyTorch ${x.peer_tokens_per_s!.toFixed(0)} tokens/s, rr/PyTorch = ${x.ratio!.toFixed(2)}`,
        )
      : []),
    `  load average ${r.load_avg.toFixed(2)} on ${r.cpus} cores${r.load_avg > r.cpus * 0.75 ? ' (busy machine: figures are pessimistic)' : ''}`,
  ];
  return `${lines.join('\n')}\n${r.profile ? formatOpProfile(r.profile) : ''}`;
}

/** Registers `rr bench train` under the `bench` command. */
export function registerBenchTrain(bench: Command, io: CliIO): void {
  const d = DEFAULT_TRAIN_BENCH;
  const command = bench
    .command('train')
    .description('Tokens/s of a full training step (forward, backward, Muon + AdamW) of a random recurrent model, with a PyTorch peer.')
    .addOption(backendOption())
    .option('--steps <n>', 'timed steps after one warm-up, per round (the median is reported)', positiveInt, 3)
    .option('--rounds <n>', "rounds of rr's steps and the peer's run, alternating; the ratio is the median of the rounds'", positiveInt, 1);
  layerShapeOptions(command, d)
    .option('--vocab <n>', 'vocabulary size', positiveInt, d.vocab)
    .option('--recurrence <n>', 'recurrence r, every step with gradient', positiveInt, d.grad_steps)
    .option('--no-peer', 'skip the PyTorch peer')
    .option('--profile', 'time every backend call by op kind and phase (forward / backward / optimizer)')
    .option('--json', 'print one JSON object instead of a table')
    .action(
      (
        o: LayerShapeFlags & {
          backend: string;
          steps: number;
          rounds: number;
          vocab: number;
          recurrence: number;
          peer: boolean;
          profile?: boolean;
          json?: boolean;
        },
      ) => {
        const config: TrainBenchConfig = { ...d, ...layerShapeOf(o), vocab: o.vocab, grad_steps: o.recurrence };
        const run = (reporting: BenchReporting) =>
          benchTrain({ backend: o.backend, config, steps: o.steps, rounds: o.rounds, peer: o.peer, profile: o.profile === true, ...reporting });
        return printBenchmark(io, o.json, run, formatTrainBenchReport);
      },
    );
}
