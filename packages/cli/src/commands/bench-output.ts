import { type BackendChoice, formatBackendChoice } from '../backends.js';
import type { CliIO } from '../program.js';

/** What a benchmark says while it runs: progress messages, and the backend it picked. */
export interface BenchReporting {
  progress: ((message: string) => void) | undefined;
  onBackend: (choice: BackendChoice) => void;
}

/**
 * Runs a benchmark (`rr bench matmul|block|train`) and prints its report: one JSON object with
 * --json, else `format`'s text. Progress is one stderr line rewritten in place, only on a terminal
 * and without --json (a pipe or a log would keep every carriage-return frame), wiped before the report.
 */
export async function printBenchmark<R>(
  io: CliIO,
  json: boolean | undefined,
  bench: (reporting: BenchReporting) => Promise<R>,
  format: (report: R) => string,
): Promise<void> {
  const progress = json || !process.stderr.isTTY ? undefined : (message: string) => io.err(`\r${message}\x1b[K`);
  const report = await bench({ progress, onBackend: (c) => io.err(formatBackendChoice(c)) });
  if (progress) io.err('\r\x1b[K');
  io.out(json ? `${JSON.stringify(report)}\n` : format(report));
}
