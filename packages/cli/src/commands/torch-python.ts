import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the PyTorch peers run: Debian's python3-torch lives under the system interpreter, not
 * under the first python3 on PATH (a venv's has no torch).
 */
export const PYTHON = '/usr/bin/python3';

/** What a user without torch runs to get the peers. */
export const INSTALL_TORCH = 'apt-get install python3-torch libopenblas0-pthread';

/** The peer scripts live in the rr repository's tools/, not in the published package: look above this module. */
export function findRepoTool(relativePath: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, relativePath);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The environment a timed PyTorch peer runs in, on `threads` threads. torch.set_num_threads does not
 * reach Debian's OpenBLAS, whose own pthread pool takes every core (a "1-thread" peer kept two
 * cores busy); OPENBLAS_NUM_THREADS does.
 */
export function torchTimingEnv(threads: number): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS']) env[name] = String(threads);
  // docs/environment.md: these pin OpenBLAS to settings meant for reproducible golden files (Haswell
  // kernels: on this AVX-512 machine half the speed, 94 against 198 GFLOP/s on one thread at 1024);
  // unset them when timing.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  // OpenMP threads that spin between parallel regions (libgomp's default) made the peer 13-19x
  // slower on a shared 2-core machine (load ~8: 26-39 s a step against 2.0 s passive); passive
  // waiting costs little on an idle one. A value the user set wins.
  env.OMP_WAIT_POLICY ??= 'PASSIVE';
  return env;
}
