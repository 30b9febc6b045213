import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RRError, type TensorToWrite, makeDirectory, statPath, userPathError, writeSafetensors } from '@rr/tensor';
import { type RecurrentLM, type RrSection, huginnTensorGroups, toHfConfig, toHuginnConfig } from '@rr/model';
import type { AdapterInit } from './adapter-init.js';
import type { Plan } from './plan.js';
import type { Retrofitted } from './retrofit.js';

export interface SaveOptions {
  /** The base model's raw config.json, kept so fields rr does not model survive the conversion. */
  baseConfig?: Record<string, unknown>;
  /** Files copied next to the weights: the tokenizer (`LoadedModel.tokenizerFiles`). */
  tokenizerFiles?: readonly { from: string; as: string }[];
  /** Where the base model came from (recorded in config.json). */
  baseModel?: string;
  /** Replace an existing output folder. */
  force?: boolean;
  /**
   * `rr` (default): Hugging Face Llama/OLMo-2 names plus an `rr` section in config.json.
   * `huginn`: the layout the paper's authors release their models in (RavenForCausalLM names and
   * config keys), which their PyTorch code loads and trains; recurrent models only.
   */
  format?: SaveFormat;
  /** Huginn format: the config's mean_recurrence (the authors' default test-time r). Default 4. */
  meanRecurrence?: number;
}

export type SaveFormat = 'rr' | 'huginn';

/** What a recurrent model's `rr` section records besides its structure. */
export interface RecurrenceProvenance {
  origin: number[];
  adapterInit: AdapterInit;
  basePlan: Plan;
}

/**
 * Writes a model as a Hugging Face-style folder: config.json (the base config, plus an `rr`
 * section for recurrent models), model.safetensors (f32) and the tokenizer files. Everything goes
 * into a sibling temp folder renamed into place at the end: a failure leaves no partial output.
 */
export async function saveModelFolder(out: string, model: RecurrentLM, options: SaveOptions & Partial<RecurrenceProvenance> = {}): Promise<void> {
  const existing = statPath(out);
  if (existing && !existing.isDirectory()) {
    throw new RRError(
      'FILE_EXISTS',
      `${out}: a file with that name already exists where the output folder should go; choose another --out, or remove the file.`,
      { path: out },
    );
  }
  if (existing && !options.force && readdirSync(out).length > 0) {
    throw new RRError('OUTPUT_EXISTS', `${out}: the output folder exists and is not empty; choose another --out or pass --force to replace it.`);
  }
  const huginn = (options.format ?? 'rr') === 'huginn';
  if (huginn && !model.isRecurrent) {
    throw new RRError(
      'HUGINN_UNSUPPORTED',
      `${out}: the Huginn format describes recurrent models; a static model is saved as a plain Hugging Face folder (format "rr").`,
    );
  }
  const tensors = huginn ? await huginnTensors(model) : await rrTensors(model);
  const config: Record<string, unknown> = huginn
    ? toHuginnConfig(model.config, model.structure, { meanRecurrence: options.meanRecurrence })
    : { ...(options.baseConfig ?? {}), ...toHfConfig(model.config) };
  delete config.rr;
  if (model.isRecurrent) {
    const { prelude, block, coda, s0Std, initScale } = model.structure;
    const rr: RrSection = {
      plan: { prelude, block, coda },
      origin: options.origin ?? [...prelude, ...block, ...coda],
      s0_std: s0Std,
      init_scale: initScale,
      ...(options.adapterInit ? { adapter_init: options.adapterInit } : {}),
      ...(options.baseModel ? { base_model: options.baseModel } : {}),
      ...(options.basePlan ? { base_plan: options.basePlan } : {}),
    };
    config.rr = rr;
  }
  const parent = dirname(out) || '.';
  makeDirectory(parent, 'folder');
  removeStalePartials(parent, basename(out));
  const temp = join(parent, `.${basename(out)}.partial-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(temp);
  } catch (e) {
    throw userPathError(e, out, 'create the output folder');
  }
  try {
    writeFileSync(join(temp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    writeSafetensors(join(temp, 'model.safetensors'), tensors, { format: 'pt' });
    for (const f of options.tokenizerFiles ?? []) copyFileSync(f.from, join(temp, f.as));
    if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    renameSync(temp, out);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    // the temp folder is ours: the error names the folder the user asked for
    throw userPathError(e, out, 'write the model folder');
  }
}

/** Temp folders of earlier writes of `name` that died before their rename (kill -9, power cut). */
function removeStalePartials(parent: string, name: string): void {
  const prefix = `.${name}.partial-`;
  for (const entry of readdirSync(parent)) {
    if (entry.startsWith(prefix)) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

async function hostF32(t: { read(): Promise<ArrayLike<number>> }): Promise<Float32Array> {
  const data = await t.read();
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

async function rrTensors(model: RecurrentLM): Promise<Record<string, TensorToWrite>> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of model.params) tensors[name] = { dtype: 'F32', shape: [...t.shape], data: await hostF32(t) };
  return tensors;
}

/** Huginn names; q/k/v and gate/up stacked by rows into attn.Wqkv and mlp.fc. */
async function huginnTensors(model: RecurrentLM): Promise<Record<string, TensorToWrite>> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, members] of huginnTensorGroups(model.config, model.structure)) {
    const parts = await Promise.all(members.map((m) => model.param(m)).map(async (t) => ({ shape: t.shape, data: await hostF32(t) })));
    const rows = parts.reduce((n, p) => n + p.shape[0]!, 0);
    const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p.data, at);
      at += p.data.length;
    }
    tensors[name] = { dtype: 'F32', shape: [rows, ...parts[0]!.shape.slice(1)], data };
  }
  return tensors;
}

/** Writes a `retrofit` result (see saveModelFolder); it loads back bit-identically with `loadModel`. */
export function saveRetrofitted(out: string, r: Retrofitted, options: SaveOptions = {}): Promise<void> {
  return saveModelFolder(out, r.model, { ...options, origin: r.origin, adapterInit: r.adapterInit, basePlan: r.plan });
}
