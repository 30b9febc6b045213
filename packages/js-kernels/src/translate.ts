import { createRequire } from 'node:module';
import type { RRError } from '@rr/tensor';
import { checkLayout } from './layout.js';
import { type ArgKind, type KernelSource, kernelError, lineOf } from './source.js';
import { findFloatIndices, keepIndicesInIntegers } from './index-safety.js';

/**
 * JavaScript -> WGSL through gpu.js's WebGPU translator, and nothing else of gpu.js: no device,
 * no buffers, no runtime. gpu.js's `build()` would also acquire a GPU device of its own, so the
 * device-independent steps it runs first (argument setup, translation, params layout, module
 * assembly) are called directly; they are the same calls in the same order. gpu.js is pinned
 * exactly (2.24.1) and `checkLayout` refuses any output whose layout differs from the one this
 * package binds.
 */
export interface Translation {
  /** WGSL in the layout of CustomKernel (params uniform, inputs in argument order, `result`). */
  readonly code: string;
  /** Invocations per workgroup along x (gpu.js uses 64 for one-dimensional outputs). */
  readonly workgroupSize: number;
  /**
   * Arrays whose index goes through an f32 value somewhere (`a[i % n]`, `a[i * 0.5]`): exact
   * only below 2^24, so calls with larger tensors are refused. Each with the source lines that index it.
   */
  readonly floatIndexed: readonly { name: string; lines: readonly string[] }[];
}

interface GpuJsWebGPUKernel {
  argumentNames: string[];
  returnType: string | null;
  output: number[];
  threadDim: number[] | null;
  workgroupSize: number[];
  compiledSource: string;
  paramsLayout: unknown;
  setupConstants(): void;
  setupArguments(args: unknown[]): void;
  validateSettings(args: unknown[]): void;
  translateSource(): void;
  computeParamsLayout(): unknown;
  assembleWGSL(): string;
}

type WebGPUKernelClass = new (source: string, settings: Record<string, unknown>) => GpuJsWebGPUKernel;

const require = createRequire(import.meta.url);
let loaded: { WebGPUKernel: WebGPUKernelClass; sanitizeName: (name: string) => string } | undefined;

/** gpu.js is CommonJS and loads its many backends on import: only when a kernel is first compiled. */
function gpujs(): NonNullable<typeof loaded> {
  if (!loaded) {
    const m = require('gpu.js') as { WebGPUKernel: WebGPUKernelClass; utils: { sanitizeName: (name: string) => string } };
    loaded = { WebGPUKernel: m.WebGPUKernel, sanitizeName: (name) => m.utils.sanitizeName(name) };
  }
  return loaded;
}

const GPUJS_TYPE: Record<ArgKind, string> = { tensor: 'Array', float: 'Float', integer: 'Integer' };

export function translate(kernel: KernelSource, kinds: readonly ArgKind[]): Translation {
  const { WebGPUKernel, sanitizeName } = gpujs();
  let k: GpuJsWebGPUKernel;
  const placeholders = kinds.map((kind) => (kind === 'tensor' ? new Float32Array(1) : 1));
  try {
    // dynamicOutput: this.output.x reads the params block instead of being baked in, so one
    // translation serves every output size
    k = new WebGPUKernel(kernel.source, { output: [1], dynamicOutput: true, argumentTypes: kinds.map((kind) => GPUJS_TYPE[kind]) });
    k.setupConstants();
    k.setupArguments(placeholders);
    k.validateSettings(placeholders);
    const threadDim = (k.threadDim = Array.from(k.output));
    while (threadDim.length < 3) threadDim.push(1);
    k.translateSource();
    k.paramsLayout = k.computeParamsLayout();
    k.compiledSource = k.assembleWGSL();
  } catch (e) {
    throw compileError(kernel, e);
  }
  if (!['Number', 'Float', 'Integer', 'LiteralInteger'].includes(k.returnType ?? '')) {
    throw kernelError(kernel, 'JS_KERNEL_UNSUPPORTED', `returns ${k.returnType}; a kernel returns one number per output element.`);
  }
  if (/\bpcg_random\(/.test(k.compiledSource)) {
    throw kernelError(
      kernel,
      'JS_KERNEL_UNSUPPORTED',
      `calls Math.random, which would differ between backends; pass random values in as a tensor (Rng of @rr/tensor).`,
      lineOf(kernel, /Math\.random\s*\(/),
    );
  }
  const names = k.argumentNames.map(sanitizeName);
  const workgroupSize = checkLayout(kernel, k.compiledSource, names, kinds, k.workgroupSize);
  undefinedFunctions(kernel, k.compiledSource);
  const code = keepIndicesInIntegers(k.compiledSource);
  const floatIndexed = findFloatIndices(code).map((name) => {
    const original = k.argumentNames[names.indexOf(name)] ?? name;
    return { name: original, lines: kernel.lines.filter((l) => new RegExp(`(^|[^\\w$.])${escapeDollar(original)}\\s*\\[`).test(l)).map((l) => l.trim()) };
  });
  return { code, workgroupSize, floatIndexed };
}

/**
 * gpu.js's messages end with the offending source text ("Identifier is not defined on line 1,
 * position 0:\n zzz"); its line numbers are often those of the enclosing function, so the line
 * quoted is the first one containing that text, then gpu.js's line or acorn's "(L:C)" for syntax
 * errors, then, for "unhandled type X", the first node of type X in the parsed source.
 */
function compileError(kernel: KernelSource, e: unknown): RRError {
  const message = e instanceof Error ? e.message : String(e);
  const [first, ...rest] = message.split('\n');
  const snippet = rest.join('\n').trim();
  const reason = first!.replace(/ on line \d+, position \d+:?$/, '').trim();
  const line =
    (snippet && kernel.lines.findIndex((l, i) => i > 0 && l.includes(snippet)) + 1) ||
    Number(/on line (\d+), position \d+/.exec(first!)?.[1] ?? /\((\d+):\d+\)/.exec(first!)?.[1] ?? 0) ||
    nodeLine(kernel, /unhandled type "(\w+)"/.exec(first!)?.[1]);
  const what = snippet ? `${reason} (\`${snippet}\`)` : reason;
  return kernelError(
    kernel,
    'JS_KERNEL_COMPILE',
    `gpu.js cannot translate it: ${what}. Kernels use gpu.js's subset of JavaScript: numbers, Math functions, tensors indexed by numbers, loops, if/else; no objects, strings, closures or calls to functions defined elsewhere.`,
    line || undefined,
    e,
  );
}

/** The line of the first AST node of this type, parsed with the acorn gpu.js itself uses. */
function nodeLine(kernel: KernelSource, type: string | undefined): number | undefined {
  if (!type) return undefined;
  const acorn = createRequire(require.resolve('gpu.js'))('acorn') as { parse(s: string, o: object): unknown };
  let found: number | undefined;
  const visit = (node: unknown): void => {
    if (found !== undefined || !node || typeof node !== 'object') return;
    const n = node as { type?: string; loc?: { start: { line: number } } };
    if (n.type === type && n.loc) {
      found = n.loc.start.line;
      return;
    }
    for (const v of Object.values(node)) visit(v);
  };
  try {
    visit(acorn.parse(`(${kernel.source})`, { ecmaVersion: 'latest', locations: true }));
  } catch {
    return undefined;
  }
  return found;
}

/** A call to a function gpu.js was not given translates to an undefined WGSL function; name it now rather than as a shader error on the device. */
function undefinedFunctions(kernel: KernelSource, wgsl: string): void {
  for (const m of wgsl.matchAll(/\bfn_(\w+)\s*\(/g)) {
    const name = m[1]!;
    if (new RegExp(`\\bfn\\s+fn_${name}\\s*\\(`).test(wgsl)) continue;
    throw kernelError(
      kernel,
      'JS_KERNEL_COMPILE',
      `calls ${name}(), which is not defined inside the kernel; write its body into the kernel (gpu.js translates only the kernel function itself).`,
      lineOf(kernel, new RegExp(`(^|[^\\w$.])${escapeDollar(name)}\\s*\\(`)),
    );
  }
}

const escapeDollar = (s: string): string => s.replace(/[$]/g, '\\$');
