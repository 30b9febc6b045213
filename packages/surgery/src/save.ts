import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RRError, type TensorToWrite, writeSafetensors } from '@rr/tensor';
import { type RrSection, toHfConfig } from '@rr/model';
import type { Retrofitted } from './retrofit.js';

export interface SaveOptions {
  /** The base model's raw config.json, kept so fields rr does not model survive the conversion. */
  baseConfig?: Record<string, unknown>;
  /** Files copied next to the weights: the tokenizer (tokenizer.json, tokenizer_config.json, ... or a llama2.c tokenizer.bin). */
  tokenizerFiles?: { from: string; as: string }[];
  /** Where the base model came from (recorded in config.json). */
  baseModel?: string;
  /** Replace an existing output folder. */
  force?: boolean;
}

/**
 * Writes a retrofitted model as a Hugging Face-style folder: config.json (the base config plus an
 * `rr` section), model.safetensors (f32) and the tokenizer files. Everything is written into a
 * sibling temp folder that is renamed into place at the end: a failure leaves no partial output.
 */
export async function saveRetrofitted(out: string, r: Retrofitted, options: SaveOptions = {}): Promise<void> {
  if (existsSync(out) && !options.force && readdirSync(out).length > 0) {
    throw new RRError('OUTPUT_EXISTS', `${out}: the output folder exists and is not empty; choose another --out or pass --force to replace it.`);
  }
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of r.model.params) {
    const data = await t.read();
    tensors[name] = { dtype: 'F32', shape: [...t.shape], data: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>) };
  }
  const { prelude, block, coda } = r.model.structure;
  const rr: RrSection = {
    plan: { prelude, block, coda },
    origin: r.origin,
    s0_std: r.model.structure.s0Std,
    init_scale: r.model.structure.initScale,
    adapter_init: r.adapterInit,
    ...(options.baseModel ? { base_model: options.baseModel } : {}),
  };
  const config = {
    ...(options.baseConfig ?? {}),
    ...toHfConfig(r.model.config),
    rr: { ...rr, base_plan: r.plan },
  };
  mkdirSync(dirname(out) || '.', { recursive: true });
  const temp = join(dirname(out), `.${basename(out)}.partial-${process.pid}-${Date.now()}`);
  mkdirSync(temp);
  try {
    writeFileSync(join(temp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    writeSafetensors(join(temp, 'model.safetensors'), tensors, { format: 'pt' });
    for (const f of options.tokenizerFiles ?? []) {
      if (statSync(f.from, { throwIfNoEntry: false })?.isFile()) copyFileSync(f.from, join(temp, f.as));
    }
    if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    renameSync(temp, out);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
}

/** Tokenizer files to carry over from a base model folder or a llama2.c checkpoint's tokenizer. */
export function tokenizerFilesOf(baseDir: string | undefined, llama2cTokenizer?: string): { from: string; as: string }[] {
  const files: { from: string; as: string }[] = [];
  if (baseDir) {
    for (const name of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'tokenizer.model', 'tokenizer.bin']) {
      files.push({ from: join(baseDir, name), as: name });
    }
  }
  if (llama2cTokenizer) files.push({ from: llama2cTokenizer, as: 'tokenizer.bin' });
  return files;
}
