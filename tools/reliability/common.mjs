// Shared pieces of the reliability suite: the built CLI, the test data, running a command with a
// hang guard and classifying how it ended.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedDataDir } from '../../packages/tensor/dist/testing/index.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cliBin = join(repoRoot, 'packages/cli/dist/bin.js');

/** Why the suite cannot run here (no build, no test data), or undefined when it can. */
export function missingPrerequisite() {
  if (!existsSync(cliBin)) return `the CLI is not built (${cliBin}); run pnpm build`;
  if (!sharedDataDir()) return 'test data not found (set RR_SHARED_DATA)';
  return undefined;
}

export function testData() {
  const data = sharedDataDir();
  return {
    data,
    model: join(data, 'models/stories260K-hf'),
    text: join(data, 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt'),
    gsm8kTest: join(data, 'gsm8k/test.jsonl'),
    gsm8kTrain: join(data, 'gsm8k/train.jsonl'),
  };
}

/**
 * Runs `rr argv` in a child process; kills it at `timeout` seconds (a hang guard, not a timing
 * assertion), or with SIGKILL `killAfter` seconds after its start or `killAfterOutput` seconds
 * after its first line on stdout. Resolves with the exit code or signal, seconds and output.
 */
export function runCli(argv, { timeout = 60, cwd, killAfter, killAfterOutput } = {}) {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cliBin, ...argv], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let outputKiller;
    child.stdout.on('data', (d) => {
      if (out.length < 1e6) out += d;
      // a kill timed from the first output line lands in the work, not in Node's start-up
      if (killAfterOutput !== undefined && outputKiller === undefined) outputKiller = setTimeout(() => child.kill('SIGKILL'), killAfterOutput * 1000);
    });
    child.stderr.on('data', (d) => {
      if (err.length < 1e6) err += d;
    });
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeout * 1000);
    const killer = killAfter === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfter * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (killer) clearTimeout(killer);
      if (outputKiller) clearTimeout(outputKiller);
      done({ code, signal, hung, seconds: (performance.now() - t0) / 1000, out, err });
    });
  });
}

/** The line an error ended with (the last of stderr), for tables. */
export function lastLine(r) {
  const lines = r.err.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/**
 * How a run ended: 'ok' (exit 0), 'named' (exit 1, its last line `rr: ... [CODE]` and no other
 * error line, no stack), 'internal' (the bug line), 'stack' (a stack trace printed), 'hang' (killed by the guard)
 * or 'other' (anything else: a crash, several lines, a wrong exit code).
 */
export function classify(r) {
  if (r.hung) return { kind: 'hang' };
  if (/\n\s+at .+:\d+:\d+/.test(r.err) || /^\s+at /m.test(r.err)) return { kind: 'stack' };
  if (r.code === 0) return { kind: 'ok' };
  // progress (JSON lines on a pipe) may come first; the error is the last line, and the only one
  const lines = r.err
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('{'));
  const m = /^rr: .* \[([A-Z0-9_]+)\]$/.exec(lines[lines.length - 1] ?? '');
  const errorLines = lines.filter((l) => /^rr: .* \[[A-Z0-9_]+\]$/.test(l)).length;
  if (r.code === 1 && errorLines === 1 && m) return m[1] === 'INTERNAL' ? { kind: 'internal', code: m[1] } : { kind: 'named', code: m[1] };
  return { kind: 'other' };
}

/** Runs `tasks` (functions returning promises) with at most `limit` at a time, in order of start. */
export async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
