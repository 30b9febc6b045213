import type { ErrorLog } from './errors.js';
import type { ShaderSpec, ShaderVariant } from './kernel.js';

export interface CompiledKernel {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/**
 * Compute pipelines, compiled once per (kernel name, float variant, binding count).
 *
 * Layouts are explicit rather than 'auto': binding 0 is always the params uniform (bound even when
 * a kernel declares no params, so binding numbers never shift), then `read` read-only storage
 * bindings, then `write` storage bindings, which is exactly the contract of kernel.ts. An explicit
 * layout also lets a shader leave a binding unused without the bind group failing validation.
 * Compilation errors surface asynchronously through the ErrorLog, named after the kernel.
 */
export class PipelineCache {
  readonly #pipelines = new Map<string, CompiledKernel>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();

  constructor(
    private readonly device: GPUDevice,
    private readonly errors: ErrorLog,
  ) {}

  get(spec: ShaderSpec, variant: ShaderVariant, reads: number, writes: number): CompiledKernel {
    const key = `${spec.name}|${variant.float}|${reads}|${writes}`;
    let kernel = this.#pipelines.get(key);
    if (!kernel) {
      kernel = this.#compile(spec, variant, this.#layout(reads, writes));
      this.#pipelines.set(key, kernel);
    }
    return kernel;
  }

  get size(): number {
    return this.#pipelines.size;
  }

  /** The kernel names compiled so far, each once. */
  names(): string[] {
    return [...new Set([...this.#pipelines.keys()].map((key) => key.slice(0, key.indexOf('|'))))];
  }

  #compile(spec: ShaderSpec, variant: ShaderVariant, layout: GPUBindGroupLayout): CompiledKernel {
    const label = `${spec.name} (${variant.float})`;
    let code = typeof spec.code === 'function' ? spec.code(variant) : spec.code;
    if (variant.float === 'f16' && !/\benable\s+f16\s*;/.test(code)) code = `enable f16;\n${code}`;
    const pipeline = this.errors.scoped(`compiling kernel ${label}`, () =>
      this.device.createComputePipeline({
        label,
        layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
        compute: { module: this.device.createShaderModule({ label, code }), ...(spec.entryPoint ? { entryPoint: spec.entryPoint } : {}) },
      }),
    );
    return { pipeline, layout };
  }

  #layout(reads: number, writes: number): GPUBindGroupLayout {
    const key = `${reads}|${writes}`;
    let layout = this.#layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }];
      for (let i = 0; i < reads + writes; i++) {
        entries.push({ binding: 1 + i, visibility: GPUShaderStage.COMPUTE, buffer: { type: i < reads ? 'read-only-storage' : 'storage' } });
      }
      layout = this.device.createBindGroupLayout({ label: `rr ${reads} in ${writes} out`, entries });
      this.#layouts.set(key, layout);
    }
    return layout;
  }
}
