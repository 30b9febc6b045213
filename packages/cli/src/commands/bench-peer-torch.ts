import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RRError } from '@rr/tensor';
import type { MatmulPeer } from './bench-peer-tfjs.js';
import { INSTALL_TORCH, PYTHON, findRepoTool, torchTimingEnv } from './torch-python.js';

const SCRIPT = 'tools/bench_matmul_torch.py';

/**
 * PyTorch's CPU matmul (OpenBLAS / oneDNN) as the peer of the CPU backend, in a long-lived Python
 * process (tools/bench_matmul_torch.py) that answers one JSON line per command, so its calls
 * alternate with ours one by one. Python times its own call: the pipe is not counted.
 */
export async function openTorchPeer(threads: number): Promise<MatmulPeer> {
  const script = findRepoTool(SCRIPT);
  if (!script) throw new RRError('PEER_NOT_INSTALLED', `--peer torch: ${SCRIPT} is not found above this installation; it lives in the rr repository.`);
  const child = spawn(PYTHON, [script, String(threads)], { env: torchTimingEnv(threads) });
  const lines = new LineReplies(child);
  let hello: { torch: string; threads: number };
  try {
    hello = (await lines.next()) as typeof hello;
  } catch (error) {
    child.kill();
    const missing = /No module named 'torch'|ENOENT/.test(String(error));
    throw new RRError(
      missing ? 'PEER_NOT_INSTALLED' : 'PEER_UNAVAILABLE',
      missing
        ? `--peer torch: ${PYTHON} cannot import torch; install it with \`${INSTALL_TORCH}\`.`
        : `--peer torch: ${SCRIPT} did not start: ${String(error)}`,
    );
  }
  return {
    name: 'PyTorch',
    version: `${hello.torch}, ${hello.threads} thread${hello.threads === 1 ? '' : 's'}`,
    prepare(size) {
      const ready = lines.ask({ op: 'prepare', size });
      return {
        async once() {
          await ready;
          return ((await lines.ask({ op: 'once' })) as { ms: number }).ms;
        },
        dispose() {},
      };
    },
    dispose() {
      child.stdin.end();
      child.kill();
    },
  };
}

/** One JSON reply per line, handed out in order; a process that exits fails every pending reply with its stderr. */
class LineReplies {
  private readonly replies: unknown[] = [];
  private readonly waiting: { resolve(v: unknown): void; reject(e: Error): void }[] = [];
  private failure: Error | undefined;
  private stderr = '';

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const value = JSON.parse(line) as unknown;
      const w = this.waiting.shift();
      if (w) w.resolve(value);
      else this.replies.push(value);
    });
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    const fail = (why: string): void => {
      this.failure ??= new Error(`${why}${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
      for (const w of this.waiting.splice(0)) w.reject(this.failure);
    };
    child.on('error', (e) => fail(e.message));
    child.stdin.on('error', () => {}); // a write after the process died: its 'close' reports why
    child.on('close', (code) => fail(`exited with code ${code}`));
  }

  next(): Promise<unknown> {
    if (this.replies.length > 0) return Promise.resolve(this.replies.shift());
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  ask(command: object): Promise<unknown> {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    return this.next();
  }
}
