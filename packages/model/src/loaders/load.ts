import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Backend, RRError } from '@rr/tensor';
import { type LoadOptions, type LoadedModel, loadHfModel } from './hf.js';
import { loadLlama2cModel } from './llama2c.js';

/**
 * Loads a Hugging Face folder, or a llama2.c `.bin` (its tokenizer from `tokenizerPath`, or a
 * `tok*.bin`/`tokenizer.bin` beside it).
 */
export function loadModel(path: string, backend: Backend, options: LoadOptions & { tokenizerPath?: string } = {}): LoadedModel {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new RRError('FILE_NOT_FOUND', `${path}: no such model folder or llama2.c checkpoint.`);
  if (stat.isDirectory()) return loadHfModel(path, backend, options);
  if (path.endsWith('.bin')) {
    const tokenizerPath = options.tokenizerPath ?? findLlama2cTokenizer(path);
    return loadLlama2cModel(path, backend, { ...options, tokenizerPath });
  }
  throw new RRError('UNKNOWN_MODEL_FORMAT', `${path}: expected a Hugging Face model folder or a llama2.c .bin checkpoint.`);
}

function findLlama2cTokenizer(modelPath: string): string | undefined {
  const dir = dirname(modelPath);
  for (const name of ['tokenizer.bin', 'tok512.bin', 'tok32000.bin']) {
    const p = join(dir, name);
    if (statSync(p, { throwIfNoEntry: false })?.isFile()) return p;
  }
  return undefined;
}
