import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { isRRError } from '@rr/tensor';
import { backendOption } from './backends.js';
import { PEERS, benchMatmul, formatMatmulReport } from './commands/bench-matmul.js';
import { formatInfo, webgpuInfo } from './commands/info.js';
import { measuringSeconds, positiveInt, positiveIntList } from './flags.js';
import { registerEvalCommands } from './commands/eval-gsm8k.js';
import { registerBenchBlock } from './commands/bench-block.js';
import { printBenchmark } from './commands/bench-output.js';
import { registerBenchTrain } from './commands/bench-train.js';
import { registerModelCommands } from './commands/model-commands.js';
import { registerTrainCommands } from './commands/train.js';

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** The version of @rr/cli (`rr --version`), from its package.json beside dist/ and src/. */
const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

const processIO: CliIO = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export function buildProgram(io: CliIO = processIO): Command {
  const out = io.out;
  const program = new Command('rr')
    .description('Retrofitted recurrence for pretrained Llama-family models.')
    .version(VERSION, '-V, --version', 'print the version of rr')
    .option('--debug', "print the stack trace of an error, and Dawn's native diagnostics (hidden otherwise)");

  const bench = program.command('bench').description('Measure the speed of kernels and training steps.');
  bench
    .command('matmul')
    .description('f32 matmul throughput (GFLOP/s) for square sizes M = N = K.')
    .addOption(backendOption())
    .option('--sizes <list>', 'comma-separated sizes', positiveIntList, [256, 512, 1024])
    .option('--threads <n>', 'threads for the CPU backend (default: all cores)', positiveInt)
    .option('--seconds <s>', 'minimum measuring time per size', measuringSeconds, 0.5)
    .addOption(
      new Option(
        '--peer <name>',
        'also time the same matmuls through another library, interleaved (webgpu: tfjs; cpu: torch, PyTorch on as many threads)',
      ).choices([...PEERS]),
    )
    .option('--json', 'print one JSON object instead of a table')
    .action((opts: { backend: string; sizes: number[]; threads?: number; seconds: number; peer?: string; json?: boolean }) =>
      printBenchmark(io, opts.json, (reporting) => benchMatmul({ ...opts, ...reporting }), formatMatmulReport),
    );
  program
    .command('info')
    .description('The WebGPU adapter rr would use: vendor, architecture, Dawn backend, limits and features.')
    .option('--json', 'print one JSON object instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const report = await webgpuInfo();
      out(opts.json ? `${JSON.stringify(report)}\n` : formatInfo(report));
    });
  registerBenchBlock(bench, io);
  registerBenchTrain(bench, io);
  registerModelCommands(program, io);
  registerEvalCommands(program, io);
  registerTrainCommands(program, io);
  // every command writes through io and throws instead of exiting, so run() decides the exit code
  const configure = (c: Command): void => {
    c.configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (message, write) => write(flagErrorLine(message)) }).exitOverride();
    c.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/**
 * Runs the CLI; returns the exit code. Every failure is one line on stderr, `rr: message [CODE]`,
 * with exit code 1: RRErrors and bad flags as they are, anything else as a bug to report. The
 * stack trace follows only with --debug.
 */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const program = buildProgram(io);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.err(`${errorLine(e)}\n`);
    if (debug && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return 1;
  }
}

/** Where users report a bug. */
export const REPORT_BUGS = 'the issue tracker of the rr repository';

/** The one line an error becomes. */
export function errorLine(e: unknown): string {
  if (isRRError(e)) return `rr: ${e.message} [${e.code}]`;
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return `rr: unexpected error (${what.split('\n')[0]}). This is a bug in rr: please report it to ${REPORT_BUGS} with the command and the output of the same command with --debug. [INTERNAL]`;
}

/** commander's "error: ..." for a bad flag or command, in the same one-line form. */
function flagErrorLine(message: string): string {
  const text = message
    .trim()
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ');
  return `rr: ${text}; see --help. [BAD_FLAG]\n`;
}
