import { type CustomKernel, type DType, RRError, type Tensor } from '@rr/tensor';
import type { KernelContext, ShaderSpec } from './kernel.js';

/**
 * Runs a kernel written outside rr (CustomKernel of @rr/tensor; @rr/js-kernels produces them from
 * JavaScript through gpu.js) on this backend's device and buffers: the inputs are bound where
 * they live and the output is a pooled tensor like any other op's, so nothing goes through the
 * host and no second device exists. The kernel's binding layout is the one kernel.ts gives every
 * shader (params uniform, reads, then writes), so the ordinary dispatch path serves it.
 */
export function runCustomKernel(
  ctx: KernelContext,
  kernel: CustomKernel,
  inputs: readonly Tensor[],
  output: { shape: readonly number[]; dtype: DType },
): Tensor {
  for (const [i, t] of inputs.entries()) {
    if (t.dtype !== 'f32') throw unsupportedDType(kernel.name, `input ${i + 1} (${t})`, t.dtype);
  }
  if (output.dtype !== 'f32') throw unsupportedDType(kernel.name, 'its output', output.dtype);
  const out = ctx.output(output.shape, 'f32');
  if (out.size === 0) return out;
  const [x, y] = kernel.wgsl.workgroups;
  ctx.dispatch(shaderFor(kernel), { read: inputs, write: [out], params: kernel.wgsl.uniforms, workgroups: [x, y], variant: { float: 'f32' } });
  return out;
}

/**
 * Pipelines are cached by ShaderSpec name, so each distinct source gets a name of its own: two
 * user kernels that share a name but not a source must never share a pipeline.
 */
const specs = new Map<string, ShaderSpec>();

function shaderFor(kernel: CustomKernel): ShaderSpec {
  let spec = specs.get(kernel.wgsl.code);
  if (!spec) {
    spec = { name: `custom kernel ${kernel.name} #${specs.size + 1}`, code: kernel.wgsl.code, entryPoint: 'main' };
    specs.set(kernel.wgsl.code, spec);
  }
  return spec;
}

function unsupportedDType(name: string, what: string, dtype: DType): RRError {
  return new RRError(
    'UNSUPPORTED_DTYPE',
    `custom kernel ${name}: ${what} is ${dtype}; custom kernels run on f32 tensors on the webgpu backend. Cast with backend.cast(t, 'f32') first.`,
    {
      kernel: name,
      dtype,
    },
  );
}
