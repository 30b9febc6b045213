import { type Backend, type CustomKernel, type HostArray, RRError, type Tensor, assertShape, isFloat, isGradEnabled, noGrad, record, sizeOf } from '@rr/tensor';
import { grid, uniformWords } from './layout.js';
import { type ArgKind, type KernelSource, kernelError, kernelSource } from './source.js';
import { type Translation, translate } from './translate.js';

/** What `this` is inside a kernel: the element being computed and the output's size. */
export interface KernelThis {
  readonly thread: { readonly x: number; readonly y: number; readonly z: number };
  readonly output: { readonly x: number; readonly y: number; readonly z: number };
}

/**
 * A kernel in gpu.js's JavaScript: called once per output element `this.thread.x`, with tensors
 * as flat arrays (index them with integers) and numbers as numbers; returns that element.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelFunction = (this: KernelThis, ...args: any[]) => number;

export type KernelArg = Tensor | number;

export interface JsKernelOptions {
  /** Names the kernel in errors; default: the function's name. */
  name?: string;
  /**
   * Number parameters passed as i32 rather than f32 (by parameter name): use them for index
   * arithmetic (`a[this.thread.x * n + k]` stays exact in integers).
   */
  integers?: readonly string[];
  /** The output's shape; default: the shape of the first tensor argument. */
  output?: readonly number[] | ((...args: KernelArg[]) => readonly number[]);
  /**
   * Gradient kernels, one per tensor argument in order (undefined: no gradient for that one):
   * each receives the forward's arguments followed by the upstream gradient `dy` (a tensor of the
   * output's shape) and returns the gradient for its argument's element `this.thread.x`. With
   * gradients, the op takes part in `grad` of @rr/tensor.
   */
  gradient?: readonly (KernelFunction | undefined)[];
}

/** A kernel bound as an rr op: call it with tensors and numbers on any backend that runs user kernels. */
export interface JsKernel {
  (...args: KernelArg[]): Tensor;
  readonly kernelName: string;
  /**
   * target <- kernel(...args), in place. The kernel may read `target` itself, at any index: it
   * writes a second buffer and that is copied into `target` on the device afterwards (ping-pong),
   * so no element is read after it was overwritten.
   */
  assign(target: Tensor, ...args: KernelArg[]): void;
  /** The WGSL gpu.js generates for these arguments (with the index fixes applied): for reading and tests. */
  wgsl(...args: KernelArg[]): string;
}

/** Past this many elements an f32 cannot hold every index exactly. */
export const F32_EXACT_INTEGERS = 2 ** 24;

/**
 * Turns a plain JavaScript function into an rr op:
 *
 *   const softsign = jsKernel(function softsign(x) {
 *     const v = x[this.thread.x];
 *     return v / (1 + Math.abs(v));
 *   });
 *   const y = softsign(t);        // on the CPU backend: the function itself, per element
 *                                 // on WebGPU: gpu.js's WGSL of it, on the backend's device
 *
 * The function is translated by gpu.js on first use for each combination of argument kinds
 * (on every backend, so a kernel that runs on the CPU also runs on WebGPU), and a kernel
 * gpu.js cannot translate fails there with an RRError quoting the line.
 */
export function jsKernel(fn: KernelFunction, options: JsKernelOptions = {}): JsKernel {
  return bind(fn, options);
}

/** A JsKernel that can also run into a given output shape (what gradient kernels need). */
interface BoundKernel extends JsKernel {
  withOutput(shape: readonly number[], args: readonly KernelArg[]): Tensor;
}

function bind(fn: KernelFunction, options: JsKernelOptions): BoundKernel {
  const source = kernelSource(fn, options.name);
  const integers = new Set(options.integers ?? []);
  const translations = new Map<string, Translation>();
  const params = parameterNames(source);
  const gradients = (options.gradient ?? []).map((g, i) => {
    if (g && g.length !== fn.length + 1) {
      throw kernelError(
        source,
        'JS_KERNEL_ARGUMENTS',
        `gradient ${i + 1} takes ${g.length} arguments; a gradient kernel takes the kernel's ${fn.length} arguments and then dy (${fn.length + 1} in all).`,
      );
    }
    return g && bind(g, { name: `${source.name} gradient ${i + 1}`, integers: options.integers ?? [] });
  });

  const kindsOf = (args: readonly KernelArg[]): ArgKind[] => {
    if (args.length !== fn.length) {
      throw kernelError(source, 'JS_KERNEL_ARGUMENTS', `takes ${fn.length} arguments (${params.join(', ')}), got ${args.length}.`);
    }
    return args.map((a, i) => {
      if (typeof a === 'number') {
        const integer = integers.has(params[i] ?? '');
        if (!Number.isFinite(a) || (integer && (!Number.isInteger(a) || Math.abs(a) > 2 ** 31 - 1))) {
          throw kernelError(
            source,
            'JS_KERNEL_ARGUMENTS',
            `argument ${params[i]} = ${a} must be a finite number${integer ? ', an integer in the i32 range' : ''}.`,
          );
        }
        return integer ? 'integer' : 'float';
      }
      if (a && typeof a === 'object' && (a as Tensor).__isTensor) return 'tensor';
      throw kernelError(source, 'JS_KERNEL_ARGUMENTS', `argument ${params[i]} must be a Tensor or a number, got ${typeof a}.`);
    });
  };

  const translation = (kinds: readonly ArgKind[]): Translation => {
    const key = kinds.join(',');
    let t = translations.get(key);
    if (!t) {
      t = translate(source, kinds);
      translations.set(key, t);
    }
    return t;
  };

  const run = (outputShape: readonly number[] | undefined, args: readonly KernelArg[]): Tensor => {
    const kinds = kindsOf(args);
    const tensors = args.filter((_, i) => kinds[i] === 'tensor') as Tensor[];
    const first = tensors[0];
    if (!first) throw kernelError(source, 'JS_KERNEL_ARGUMENTS', 'has no tensor argument; pass at least one tensor (it gives the backend and the dtype).');
    const backend = checkTensors(source, tensors);
    const shape = outputShape ?? (typeof options.output === 'function' ? options.output(...args) : (options.output ?? first.shape));
    assertShape(shape, `js kernel ${source.name} (output)`);
    const t = translation(kinds);
    const size = sizeOf(shape);
    guardIndices(source, t, size, tensors);
    const { workgroups, dispatchWidth } = grid(size, t.workgroupSize);
    const kernel: CustomKernel = {
      name: source.name,
      js: cpuForm(fn, args, kinds),
      wgsl: { code: t.code, uniforms: uniformWords(size, dispatchWidth, args as (number | Tensor)[], kinds), workgroups },
    };
    if (!backend.runCustomKernel) {
      throw new RRError(
        'UNSUPPORTED_BACKEND',
        `js kernel ${source.name}: the ${backend.name} backend cannot run user kernels (it has no runCustomKernel); use the cpu or webgpu backend.`,
      );
    }
    return backend.runCustomKernel(kernel, tensors, { shape, dtype: first.dtype });
  };

  const call = (...args: KernelArg[]): Tensor => {
    const tensorArgs = args.filter((a): a is Tensor => typeof a !== 'number');
    if (isGradEnabled()) {
      // a gradient silently dropped here would leave every parameter below this op with zeros
      const missing = tensorArgs.findIndex((t, j) => t.requiresGrad && !gradients[j]);
      if (missing >= 0) {
        const param = params[args.indexOf(tensorArgs[missing]!)] ?? `${missing + 1}`;
        throw kernelError(
          source,
          'JS_KERNEL_NO_GRADIENT',
          `its tensor argument ${param} requires a gradient and the kernel has none for it: give options.gradient[${missing}], or call it under noGrad() (or on detach(t)) where no gradient should flow.`,
        );
      }
    }
    const out = run(undefined, args);
    if (gradients.length === 0) return out;
    return record(`js kernel ${source.name}`, out, tensorArgs, (dy) => tensorArgs.map((t, j) => gradients[j]?.withOutput(t.shape, [...args, dy])));
  };

  return Object.assign(call, {
    kernelName: source.name,
    assign(target: Tensor, ...args: KernelArg[]): void {
      noGrad(() => {
        const out = run(undefined, args);
        try {
          if (out.size !== target.size || out.dtype !== target.dtype || out.backend !== target.backend) {
            throw kernelError(source, 'SHAPE_MISMATCH', `assign: its output ${out} does not fit the target ${target}.`);
          }
          target.backend.assign(target, out);
        } finally {
          out.dispose();
        }
      });
    },
    wgsl: (...args: KernelArg[]): string => translation(kindsOf(args)).code,
    withOutput: (shape: readonly number[], args: readonly KernelArg[]): Tensor => run(shape, args),
  });
}

/**
 * The CPU form: the user's function itself, once per element, with `this.thread.x` set and the
 * tensors' own arrays as arguments. It computes in f64 and the output array rounds each element
 * to its dtype (the WGSL form computes in f32).
 */
function cpuForm(fn: KernelFunction, args: readonly KernelArg[], kinds: readonly ArgKind[]): CustomKernel['js'] {
  return (arrays: readonly HostArray[], out: HostArray): void => {
    const thread = { x: 0, y: 0, z: 0 };
    const self: KernelThis = { thread, output: { x: out.length, y: 1, z: 1 } };
    let next = 0;
    const values = args.map((a, i) => (kinds[i] === 'tensor' ? arrays[next++] : a));
    for (let i = 0; i < out.length; i++) {
      thread.x = i;
      out[i] = fn.apply(self, values);
    }
  };
}

function checkTensors(kernel: KernelSource, tensors: readonly Tensor[]): Backend {
  const backend = tensors[0]!.backend;
  for (const t of tensors) {
    t.assertLive(`js kernel ${kernel.name}`);
    if (t.backend !== backend)
      throw kernelError(
        kernel,
        'BACKEND_MISMATCH',
        `its tensors live on different backends (${backend.name} and ${t.backend.name}); move them to one backend first.`,
      );
    if (!isFloat(t.dtype) || t.dtype !== tensors[0]!.dtype) {
      throw kernelError(
        kernel,
        'DTYPE_MISMATCH',
        `its tensors must share one float dtype (f32 on every backend), got ${tensors.map((x) => x.dtype).join(', ')}; cast first.`,
      );
    }
  }
  return backend;
}

/** Refuses a call whose sizes would make an f32-computed index inexact (see index-safety.ts). */
function guardIndices(kernel: KernelSource, t: Translation, outputSize: number, tensors: readonly Tensor[]): void {
  const largest = Math.max(outputSize, ...tensors.map((x) => x.size));
  if (t.floatIndexed.length === 0 || largest <= F32_EXACT_INTEGERS) return;
  const what = t.floatIndexed.map((f) => `${f.name}${f.lines.length ? ` (${f.lines.map((l) => `\`${l}\``).join(', ')})` : ''}`).join('; ');
  throw kernelError(
    kernel,
    'JS_KERNEL_FLOAT_INDEX',
    `indexes ${what} through an f32 value, which is exact only up to 2^24 = ${F32_EXACT_INTEGERS} elements, and this call has ${largest}. Keep index arithmetic in integers: this.thread.x, a const set from it, integer literals, + - *, and integer arguments (options.integers); no /, %, Math.floor or float numbers.`,
  );
}

function parameterNames(kernel: KernelSource): string[] {
  const list = /^\s*function\b[^(]*\(([^)]*)\)/.exec(kernel.source)?.[1] ?? '';
  return list
    .split(',')
    .map((p) => p.trim().replace(/=.*$/, '').trim())
    .filter((p) => p.length > 0);
}
