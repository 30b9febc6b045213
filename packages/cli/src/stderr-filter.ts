import { spawn } from 'node:child_process';

/**
 * Dawn's native diagnostics that say nothing a user can act on. On Mesa lavapipe, Dawn prints two
 * of them while it enumerates adapters (so every WebGPU command, and `--backend auto` while it
 * looks at the adapter): the driver reports a limit of 1000000 dynamic buffers, which Dawn lowers
 * to 16. They are written by native code straight to file descriptor 2, from Dawn's default
 * logging callback, before any device exists: no JavaScript hook, device toggle or requested limit
 * reaches them. So `rr` runs as a child whose stderr passes through this filter (see bin.ts);
 * `--debug` shows everything.
 */
export const DAWN_NOISE: readonly RegExp[] = [
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/,
];

const NOISE_PREFIX = 'Warning: maxDynamic';

/**
 * Drops whole lines that match one of `patterns` and passes everything else through as soon as it
 * arrives: a partial line is held back only while it could still become a dropped line, so
 * progress lines that redraw with `\r` keep appearing immediately.
 */
export class LineFilter {
  #held = '';
  /** Whether the current line has already been passed through in part (it is not noise). */
  #passing = false;

  constructor(private readonly patterns: readonly RegExp[] = DAWN_NOISE) {}

  /** The text to write now for `chunk`. */
  push(chunk: string): string {
    let out = '';
    let text = this.#held + chunk;
    this.#held = '';
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (this.#passing || !this.patterns.some((p) => p.test(line))) out += `${line}\n`;
      this.#passing = false;
    }
    if (text === '') return out;
    if (!this.#passing && couldBeNoise(text)) this.#held = text;
    else {
      out += text;
      this.#passing = true;
    }
    return out;
  }

  /** What is left at the end of the stream. */
  end(): string {
    const rest = this.#held;
    this.#held = '';
    return rest !== '' && !this.patterns.some((p) => p.test(rest)) ? rest : '';
  }
}

function couldBeNoise(partial: string): boolean {
  return partial.length <= NOISE_PREFIX.length ? NOISE_PREFIX.startsWith(partial) : partial.startsWith(NOISE_PREFIX);
}

/** Set in the child, so that it runs the command itself. */
const CHILD = 'RR_STDERR_FILTERED';

/** Whether this process should run rr as a filtered child: not with --debug, and not in the child. */
export function wantsFilteredChild(argv: readonly string[]): boolean {
  return process.env[CHILD] === undefined && !argv.includes('--debug');
}

/**
 * Runs `script argv` as a child with the same stdin and stdout and its stderr filtered into
 * `writeErr`; resolves with its exit code. Ctrl-C reaches the child from the terminal (same
 * process group), which handles it (rr train checkpoints); this process only waits for it.
 */
export function runFilteredChild(script: string, argv: readonly string[], writeErr: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
      // the IPC channel is the child's lifeline: it closes when this process dies, however it dies
      stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
      // the child's stderr is a pipe; it learns whether ours is a terminal (progress lines) from here
      env: { ...process.env, [CHILD]: process.stderr.isTTY ? 'tty' : 'pipe' },
    });
    const filter = new LineFilter();
    // stdio[2] is 'pipe', so stderr exists (the typings cannot tell once stdio holds 'ipc')
    const stderr = child.stderr!;
    stderr.setEncoding('utf8');
    stderr.on('data', (chunk: string) => {
      const out = filter.push(chunk);
      if (out) writeErr(out);
    });
    const ignore = (): void => {};
    const forward = (signal: NodeJS.Signals) => (): void => {
      child.kill(signal);
    };
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const rest = filter.end();
      if (rest) writeErr(rest);
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      // a child killed by a signal: end the same way, so the caller's shell sees the same status
      if (signal) process.kill(process.pid, signal);
      resolvePromise(code ?? 1);
    });
  });
}

/**
 * In the child: end with the parent. A parent killed by SIGKILL cannot forward the signal, and the
 * child would go on training (and writing checkpoints) unseen, holding the parent's stdout open.
 * The IPC channel closes whenever the parent exits, so on `disconnect` the child ends as if it had
 * been killed too; checkpoints are written atomically, so nothing is half-written. The channel is
 * unref'd: it never keeps a finished command alive.
 */
export function exitWithParent(): void {
  if (process.env[CHILD] === undefined || !process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/** In the child: whether the parent's stderr, which ours is piped to, is a terminal. */
export function parentStderrIsTTY(): boolean | undefined {
  const v = process.env[CHILD];
  return v === undefined ? undefined : v === 'tty';
}
