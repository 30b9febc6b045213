import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RRError, type Tensor, type TensorToWrite, makeDirectory, openSafetensors, userPathError, writeSafetensors } from '@rr/tensor';
import type { DataPosition } from './data/packer.js';

/** Everything besides tensors that a resumed run needs to continue exactly. */
export interface TrainerState {
  /** Optimizer steps completed over the whole run. */
  step: number;
  /** Index of the current phase and steps completed within it. */
  phase: number;
  phaseStep: number;
  data: DataPosition;
  /** Training FLOPs spent over the whole run, and within the current phase (resume keeps both). */
  flops?: number;
  phaseFlops?: number;
  /** Identifies the recipe the run was started with (resume refuses a different one). */
  recipeHash: string;
}

const DIR = 'checkpoints';
const NAME = /^step-(\d{8})$/;

/**
 * A checkpoint is a folder `checkpoints/step-NNNNNNNN/` with model.safetensors, optimizer.safetensors
 * and state.json. It is written under a temp name and renamed, so a crash never leaves a half
 * checkpoint; older ones beyond `keep` are removed only after the new one is in place.
 */
export async function saveCheckpoint(
  runDir: string,
  parts: { params: ReadonlyMap<string, Tensor> | Record<string, Tensor>; optimizer: Record<string, Tensor>; state: TrainerState },
  keep: number,
): Promise<string> {
  const root = join(runDir, DIR);
  makeDirectory(root, 'checkpoint folder');
  removeStaleTemps(runDir);
  const name = `step-${String(parts.state.step).padStart(8, '0')}`;
  const final = join(root, name);
  const temp = join(root, `.${name}${TEMP_MARK}${process.pid}-${Date.now()}`);
  try {
    mkdirSync(temp);
    writeSafetensors(join(temp, 'model.safetensors'), await hostTensors(parts.params));
    writeSafetensors(join(temp, 'optimizer.safetensors'), await hostTensors(parts.optimizer));
    writeFileSync(join(temp, 'state.json'), `${JSON.stringify(parts.state, null, 2)}\n`);
    if (existsSync(final)) rmSync(final, { recursive: true, force: true });
    renameSync(temp, final);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    // the temp folder is ours: the error names the checkpoint the user will look for
    throw userPathError(e, final, 'write the checkpoint');
  }
  for (const old of listCheckpoints(runDir).slice(0, -keep)) rmSync(join(root, old), { recursive: true, force: true });
  return final;
}

async function hostTensors(tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>): Promise<Record<string, TensorToWrite>> {
  const out: Record<string, TensorToWrite> = {};
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, t] of entries) {
    const data = await t.read();
    out[name] = { dtype: 'F32', shape: [...t.shape], data: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>) };
  }
  return out;
}

const TEMP_MARK = '.tmp-';

/**
 * Removes the temp folders of checkpoint writes that never reached their rename (a kill -9 or a
 * power cut mid-write): they are never complete, and nothing else would ever delete them.
 */
export function removeStaleTemps(runDir: string): void {
  const root = join(runDir, DIR);
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    if (entry.startsWith('.') && entry.includes(TEMP_MARK)) rmSync(join(root, entry), { recursive: true, force: true });
  }
}

/** Complete checkpoints of a run, oldest first. */
export function listCheckpoints(runDir: string): string[] {
  const root = join(runDir, DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => NAME.test(n))
    .sort();
}

export interface LoadedCheckpoint {
  path: string;
  state: TrainerState;
  params: Map<string, HostTensor>;
  optimizer: Map<string, HostTensor>;
}

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export function loadLatestCheckpoint(runDir: string): LoadedCheckpoint | undefined {
  const names = listCheckpoints(runDir);
  const last = names[names.length - 1];
  return last ? loadCheckpoint(join(runDir, DIR, last)) : undefined;
}

export function loadCheckpoint(path: string): LoadedCheckpoint {
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as TrainerState;
  } catch (e) {
    throw new RRError('CHECKPOINT_INVALID', `${path}: cannot read state.json (${(e as Error).message}).`, {}, { cause: e });
  }
  const read = (file: string): Map<string, HostTensor> => {
    const f = openSafetensors(join(path, file));
    try {
      return new Map([...f.tensors.entries()].map(([n, info]) => [n, { shape: [...info.shape], data: f.readF32(n) }] as const));
    } finally {
      f.close();
    }
  };
  return { path, state, params: read('model.safetensors'), optimizer: read('optimizer.safetensors') };
}
