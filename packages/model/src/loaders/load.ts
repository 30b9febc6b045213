import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Backend, RRError } from '@rr/tensor';
import { HfTokenizer } from '../tokenizer/hf.js';
import { Llama2cTokenizer } from '../tokenizer/llama2c.js';
import { type LoadOptions, type LoadedModel, loadHfModel } from './hf.js';
import { loadLlama2cModel } from './llama2c.js';

/**
 * Loads a Hugging Face folder, or a llama2.c `.bin` (its tokenizer from `tokenizerPath`, or a
 * `tok*.bin`/`tokenizer.bin` beside it).
 */
export function loadModel(path: string, backend: Backend, options: LoadOptions & { tokenizerPath?: string } = {}): LoadedModel {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new RRError('FILE_NOT_FOUND', `${path}: no such model folder or llama2.c checkpoint.`);
  if (options.tokenizerPath !== undefined) checkTokenizerPath(options.tokenizerPath);
  if (stat.isDirectory()) {
    const loaded = loadHfModel(path, backend, options);
    return options.tokenizerPath === undefined ? loaded : withTokenizer(loaded, options.tokenizerPath);
  }
  if (path.endsWith('.bin')) {
    const tokenizerPath = options.tokenizerPath ?? findLlama2cTokenizer(path);
    return loadLlama2cModel(path, backend, { ...options, tokenizerPath });
  }
  throw new RRError('UNKNOWN_MODEL_FORMAT', `${path}: expected a Hugging Face model folder or a llama2.c .bin checkpoint.`);
}

/** A tokenizer the user named must exist: silently using another one would be a surprise. */
function checkTokenizerPath(path: string): void {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat)
    throw new RRError('FILE_NOT_FOUND', `tokenizer ${path} does not exist. Check the path, or leave it out to use the model folder's own tokenizer.`, { path });
  if (!stat.isFile())
    throw new RRError('FILE_IS_DIRECTORY', `tokenizer ${path} is a folder; pass the tokenizer file itself (tokenizer.json, or a llama2.c tokenizer .bin).`, {
      path,
    });
}

/** A model folder's weights with the tokenizer the user named instead of the folder's own. */
function withTokenizer(loaded: LoadedModel, tokenizerPath: string): LoadedModel {
  const { bosTokenId: bos, eosTokenId: eos, vocabSize } = loaded.model.config;
  if (tokenizerPath.endsWith('.bin')) {
    return { ...loaded, tokenizer: Llama2cTokenizer.fromFile(tokenizerPath, vocabSize), tokenizerFiles: [{ from: tokenizerPath, as: 'tokenizer.bin' }] };
  }
  return { ...loaded, tokenizer: HfTokenizer.fromFile(tokenizerPath, { bos, eos }), tokenizerFiles: [{ from: tokenizerPath, as: 'tokenizer.json' }] };
}

function findLlama2cTokenizer(modelPath: string): string | undefined {
  const dir = dirname(modelPath);
  for (const name of ['tokenizer.bin', 'tok512.bin', 'tok32000.bin']) {
    const p = join(dir, name);
    if (statSync(p, { throwIfNoEntry: false })?.isFile()) return p;
  }
  return undefined;
}
