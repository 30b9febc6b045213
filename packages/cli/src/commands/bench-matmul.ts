import { type Backend, RRError, type Tensor } from '@rr/tensor';
import { type BackendChoice, backendChoiceOf, createBackend } from '../backends.js';
import { type MatmulPeer, openTfjsPeer } from './bench-peer-tfjs.js';
import { openTorchPeer } from './bench-peer-torch.js';

export interface MatmulBenchResult {
  m: number;
  n: number;
  k: number;
  gflops: number;
  /** Median milliseconds per matmul, host-visible: each call ends when its result is read back. */
  ms: number;
  /** gflops / the peer's gflops at this size (with --peer). */
  ratio?: number;
}

export interface MatmulBenchReport {
  backend: string;
  op: 'matmul';
  threads?: number;
  /** The GPU adapter (null on the CPU backend). */
  adapter: string | null;
  results: MatmulBenchResult[];
  /** The same products through another library, interleaved with ours in the same run. */
  peer?: { name: string; version: string; results: MatmulBenchResult[] };
}

/** Each peer, the backend it is compared with, and what the comparison is. */
const PEER_OF = {
  tfjs: { backend: 'webgpu', compares: 'WebGPU implementations on one adapter', open: () => openTfjsPeer() },
  torch: { backend: 'cpu', compares: 'CPU libraries on the same cores', open: (threads: number) => openTorchPeer(threads) },
} as const;
export const PEERS = Object.keys(PEER_OF) as (keyof typeof PEER_OF)[];

export interface MatmulBenchOptions {
  backend: string;
  sizes: number[];
  threads?: number;
  seconds?: number;
  peer?: string;
  progress?: ((message: string) => void) | undefined;
  /** Told which backend runs the benchmark, before it starts. */
  onBackend?: ((choice: BackendChoice) => void) | undefined;
}

interface Runner {
  once(): Promise<number>;
  dispose(): void;
}

/**
 * Times square f32 matmuls: a warm-up call, then repeats for at least `seconds`; reports the median.
 * Every call ends with a readback of its result, so GPU work is counted in full. With a peer, its
 * calls alternate with ours, so that both sides see the same machine (a busy CPU slows both alike).
 */
export async function benchMatmul(options: MatmulBenchOptions): Promise<MatmulBenchReport> {
  if (options.peer !== undefined && !(PEERS as readonly string[]).includes(options.peer)) {
    throw new RRError('BAD_FLAG', `--peer ${options.peer}: unknown peer; use one of ${PEERS.join(', ')}.`);
  }
  const peerSpec = options.peer === undefined ? undefined : PEER_OF[options.peer as keyof typeof PEER_OF];
  if (peerSpec && options.backend !== peerSpec.backend) {
    throw new RRError('BAD_FLAG', `--peer ${options.peer} compares ${peerSpec.compares}; add --backend ${peerSpec.backend}.`);
  }
  const backend = await createBackend(options.backend, { ...(options.threads ? { threads: options.threads } : {}), onChosen: options.onBackend });
  const threads = (backend as { threads?: number }).threads;
  let peer: MatmulPeer | undefined;
  try {
    peer = await peerSpec?.open(threads ?? 1);
    const results: MatmulBenchResult[] = [];
    const peerResults: MatmulBenchResult[] = [];
    for (const size of options.sizes) {
      options.progress?.(`matmul ${size}x${size}x${size} on ${backend.name}${peer ? ` and ${peer.name}` : ''}...`);
      const a = randomMatrix(size);
      const b = randomMatrix(size);
      const runners = [ownRunner(backend, size, a, b), ...(peer ? [peer.prepare(size, a, b)] : [])];
      try {
        const [ours, theirs] = (await interleave(runners, options.seconds ?? 0.5)).map((ms) => result(size, ms));
        if (theirs) {
          ours!.ratio = ours!.gflops / theirs.gflops;
          peerResults.push(theirs);
        }
        results.push(ours!);
      } finally {
        for (const r of runners) r.dispose();
      }
    }
    return {
      backend: backend.name,
      op: 'matmul',
      ...(threads ? { threads } : {}),
      adapter: backendChoiceOf(backend)?.adapter ?? null,
      results,
      ...(peer ? { peer: { name: peer.name, version: peer.version, results: peerResults } } : {}),
    };
  } finally {
    peer?.dispose();
    backend.destroy();
  }
}

function ownRunner(backend: Backend, size: number, aValues: Float32Array, bValues: Float32Array): Runner {
  const a = backend.upload(aValues, [size, size], 'f32');
  const b = backend.upload(bValues, [size, size], 'f32');
  return {
    async once() {
      const t0 = performance.now();
      const c: Tensor = backend.matmul(a, b);
      await c.read();
      const ms = performance.now() - t0;
      c.dispose();
      return ms;
    },
    dispose() {
      a.dispose();
      b.dispose();
    },
  };
}

/** Median ms of each runner: one warm-up call each, then rounds of one call each until the time is up. */
async function interleave(runners: Runner[], seconds: number): Promise<number[]> {
  for (const r of runners) await r.once();
  const times: number[][] = runners.map(() => []);
  const deadline = performance.now() + seconds * 1000 * runners.length;
  while (times[0]!.length < 3 || (performance.now() < deadline && times[0]!.length < 1000)) {
    for (let i = 0; i < runners.length; i++) times[i]!.push(await runners[i]!.once());
  }
  return times.map((t) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]!);
}

function result(size: number, ms: number): MatmulBenchResult {
  return { m: size, n: size, k: size, gflops: (2 * size ** 3) / (ms * 1e6), ms };
}

function randomMatrix(size: number): Float32Array {
  return new Float32Array(size * size).map(() => Math.random() * 2 - 1);
}

export function formatMatmulReport(r: MatmulBenchReport): string {
  const head = `matmul on ${r.backend}${r.threads ? ` (${r.threads} threads)` : ''}${r.adapter ? ` (${r.adapter})` : ''}${r.peer ? ` vs ${r.peer.name} ${r.peer.version}` : ''}`;
  const lines = [head, r.peer ? '   size      ms   GFLOP/s  peer ms  peer GFLOP/s   ratio' : '   size      ms   GFLOP/s'];
  r.results.forEach((x, i) => {
    const p = r.peer?.results[i];
    const ours = `${String(x.m).padStart(7)} ${x.ms.toFixed(2).padStart(7)} ${x.gflops.toFixed(2).padStart(9)}`;
    lines.push(p ? `${ours} ${p.ms.toFixed(2).padStart(8)} ${p.gflops.toFixed(2).padStart(13)} ${x.ratio!.toFixed(2).padStart(6)}x` : ours);
  });
  return `${lines.join('\n')}\n`;
}
