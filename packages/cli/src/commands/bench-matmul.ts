import { type Backend, scope } from '@rr/tensor';
import { createBackend } from '../backends.js';

export interface MatmulBenchResult {
  m: number;
  n: number;
  k: number;
  gflops: number;
  /** Median milliseconds per matmul, host-visible (includes any copies the backend makes). */
  ms: number;
}

export interface MatmulBenchReport {
  backend: string;
  op: 'matmul';
  threads?: number;
  results: MatmulBenchResult[];
}

export interface MatmulBenchOptions {
  backend: string;
  sizes: number[];
  threads?: number;
  seconds?: number;
  progress?: ((message: string) => void) | undefined;
}

/** Times square f32 matmuls: a warm-up call, then repeats for at least `seconds`; reports the median. */
export async function benchMatmul(options: MatmulBenchOptions): Promise<MatmulBenchReport> {
  const backend = createBackend(options.backend, options.threads ? { threads: options.threads } : {});
  try {
    const results: MatmulBenchResult[] = [];
    for (const size of options.sizes) {
      options.progress?.(`matmul ${size}x${size}x${size} on ${backend.name}...`);
      results.push(await timeSquare(backend, size, options.seconds ?? 0.5));
    }
    const threads = (backend as { threads?: number }).threads;
    return { backend: backend.name, op: 'matmul', ...(threads ? { threads } : {}), results };
  } finally {
    backend.destroy();
  }
}

async function timeSquare(backend: Backend, size: number, seconds: number): Promise<MatmulBenchResult> {
  const values = new Float32Array(size * size).map(() => Math.random() * 2 - 1);
  const a = backend.upload(values, [size, size], 'f32');
  const b = backend.upload(values.reverse(), [size, size], 'f32');
  try {
    const once = async (): Promise<number> => {
      const t0 = performance.now();
      const c = scope(() => backend.matmul(a, b));
      await backend.sync();
      const ms = performance.now() - t0;
      c.dispose();
      return ms;
    };
    await once();
    const times: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    while (times.length < 3 || (performance.now() < deadline && times.length < 1000)) times.push(await once());
    times.sort((x, y) => x - y);
    const ms = times[Math.floor(times.length / 2)]!;
    return { m: size, n: size, k: size, gflops: (2 * size ** 3) / (ms * 1e6), ms };
  } finally {
    a.dispose();
    b.dispose();
  }
}

export function formatMatmulReport(r: MatmulBenchReport): string {
  const lines = [`matmul on ${r.backend}${r.threads ? ` (${r.threads} threads)` : ''}`, '   size      ms   GFLOP/s'];
  for (const x of r.results) lines.push(`${String(x.m).padStart(7)} ${x.ms.toFixed(2).padStart(7)} ${x.gflops.toFixed(1).padStart(9)}`);
  return `${lines.join('\n')}\n`;
}
