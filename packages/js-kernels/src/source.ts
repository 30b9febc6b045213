import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RRError } from '@rr/tensor';

/** How each argument reaches the kernel: a tensor (an f32 array), or a number passed as f32 or as i32. */
export type ArgKind = 'tensor' | 'float' | 'integer';

/** A kernel function as written, with what errors need to point at it. */
export interface KernelSource {
  readonly name: string;
  readonly source: string;
  readonly lines: readonly string[];
  /** `file:line` of the jsKernel(...) call that defined it, when the stack shows it. */
  readonly definedAt: string | undefined;
}

export function kernelSource(fn: Function, name: string | undefined): KernelSource {
  const source = fn.toString();
  const kernel = { name: name || fn.name || 'anonymous', source, lines: source.split('\n'), definedAt: callerLocation() };
  if (!/^function\b/.test(source.trimStart())) {
    throw kernelError(
      kernel,
      'JS_KERNEL_NOT_A_FUNCTION',
      'is not written as `function (...) { ... }`. Kernels read their element index from `this.thread.x`, which arrow functions and methods do not have: write `jsKernel(function name(a, b) { ... })`.',
    );
  }
  return kernel;
}

/** An RRError that names the kernel, where it was defined and, when known, the line at fault (quoted). */
export function kernelError(kernel: KernelSource, code: string, message: string, line?: number, cause?: unknown): RRError {
  const where = kernel.definedAt ? ` (defined at ${kernel.definedAt})` : '';
  const text = line !== undefined ? kernel.lines[line - 1]?.trim() : undefined;
  const at = line !== undefined ? ` line ${line} of the kernel${text ? ` (\`${text}\`)` : ''}:` : '';
  return new RRError(code, `js kernel ${kernel.name}${where}:${at} ${message}`, { kernel: kernel.name, line }, cause === undefined ? undefined : { cause });
}

/** The first line (1-based) of the kernel's source that matches. */
export function lineOf(kernel: KernelSource, pattern: RegExp): number | undefined {
  const i = kernel.lines.findIndex((l) => pattern.test(l));
  return i >= 0 ? i + 1 : undefined;
}

/** This package's own modules (src/ in tests, dist/ when installed): the frames to skip. */
const here = dirname(fileURLToPath(import.meta.url));

/** The first stack frame outside this package: where the user called jsKernel. */
function callerLocation(): string | undefined {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  for (const frame of frames) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?$/.exec(frame.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if ((dirname(file) === here && !/\.test\.[jt]s$/.test(file)) || file.startsWith('node:')) continue;
    return `${file}:${m[2]}`;
  }
  return undefined;
}
