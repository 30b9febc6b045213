import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { RRError } from '../errors.js';
import { writeFileAtomically } from './atomic-write.js';
import { describeAlternatives } from './close-names.js';
import { fsError } from './fs-errors.js';
import { openSafetensors, writeSafetensors, type RawTensor, type SafetensorsFile } from './safetensors.js';
import type { TensorInfo } from './safetensors-header.js';
import { validateTensorToWrite, type TensorToWrite } from './safetensors-layout.js';

/**
 * Model weights as Hugging Face stores them: one `model.safetensors`, or shards
 * `model-00001-of-0000N.safetensors` tied together by `model.safetensors.index.json`:
 * `{ "metadata": { "total_size": ... }, "weight_map": { "<tensor>": "<shard file>" } }`.
 */

export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';
const SHARD_PATTERN = /^model-\d{5}-of-\d{5}\.safetensors$/;

/** Tensors from one file or several shards, read on demand like SafetensorsFile. */
export interface TensorSource {
  /** Every tensor, with the path of the file holding it. For shards: the index's tensors, in its order. */
  readonly tensors: ReadonlyMap<string, TensorInfo & { file: string }>;
  /** The file's `__metadata__`, or the index's `metadata` (non-string values JSON-encoded). */
  readonly metadata: Record<string, string>;
  readF32(name: string): Float32Array;
  readRaw(name: string): RawTensor;
  /** Closes every file. */
  close(): void;
}

/**
 * Opens model weights from a `.safetensors` file, an index `.json` file, or a directory holding
 * `model.safetensors` or `model.safetensors.index.json`. When a directory holds both, the single
 * file wins, as in Hugging Face transformers (writeShardedSafetensors never leaves both behind).
 * Only headers are read; every shard is checked against the index before this returns. The index
 * is authoritative: a shard's tensors that the weight_map does not list are not exposed (but a
 * tensor found in two shards is still an error).
 */
export function openModelWeights(dirOrFile: string): TensorSource {
  const stat = statSync(dirOrFile, { throwIfNoEntry: false });
  if (stat === undefined) {
    throw new RRError(
      'FILE_NOT_FOUND',
      `${dirOrFile}: no such file or directory. Pass a .safetensors file, a ${INDEX_FILE_NAME} file, or a directory holding one.`,
      { path: dirOrFile },
    );
  }
  if (!stat.isDirectory()) {
    return dirOrFile.endsWith('.json') ? openIndex(dirOrFile) : singleFileSource(openSafetensors(dirOrFile));
  }
  const single = join(dirOrFile, SINGLE_FILE_NAME);
  if (existsSync(single)) return singleFileSource(openSafetensors(single));
  const index = join(dirOrFile, INDEX_FILE_NAME);
  if (existsSync(index)) return openIndex(index);

  const present = listDirectory(dirOrFile).filter((f) => f.endsWith('.safetensors') || f.endsWith('.index.json'));
  throw new RRError(
    'FILE_NOT_FOUND',
    `${dirOrFile}: no model weights found; looked for ${SINGLE_FILE_NAME} and ${INDEX_FILE_NAME}. ${
      present.length > 0
        ? `The directory has ${present.slice(0, 5).join(', ')}${present.length > 5 ? ', ...' : ''}: pass the path of the one you mean.`
        : 'It has no .safetensors files; download or export the weights into it.'
    }`,
    { path: dirOrFile, lookedFor: [SINGLE_FILE_NAME, INDEX_FILE_NAME], found: present },
  );
}

function listDirectory(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    throw fsError(err, dir, 'list');
  }
}

function singleFileSource(file: SafetensorsFile): TensorSource {
  const tensors = new Map([...file.tensors].map(([name, info]) => [name, { ...info, file: file.path }]));
  return {
    tensors,
    metadata: file.metadata,
    readF32: (name) => file.readF32(name),
    readRaw: (name) => file.readRaw(name),
    close: () => file.close(),
  };
}

function badIndex(indexPath: string, what: string): RRError {
  return new RRError('SAFETENSORS_BAD_INDEX', `${indexPath}: ${what}. Re-export or re-download the model's index file.`, { file: indexPath });
}

interface ParsedIndex {
  metadata: Record<string, string>;
  weightMap: [tensor: string, shard: string][];
}

function parseIndex(indexPath: string): ParsedIndex {
  let text: string;
  try {
    text = readFileSync(indexPath, 'utf8');
  } catch (err) {
    throw fsError(err, indexPath, 'read');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw badIndex(indexPath, `not valid JSON (${(err as Error).message})`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(json) || !isObject(json.weight_map)) throw badIndex(indexPath, 'expected an object with a "weight_map" object');
  const rawMetadata = json.metadata ?? {};
  if (!isObject(rawMetadata)) throw badIndex(indexPath, '"metadata" must be an object');

  const weightMap: [string, string][] = [];
  for (const [tensor, shard] of Object.entries(json.weight_map)) {
    if (typeof shard !== 'string' || shard === '') throw badIndex(indexPath, `weight_map entry "${tensor}" must name a shard file`);
    // Shards live next to the index; a path leaving that directory is a broken or hostile index.
    const rel = relative(dirname(resolve(indexPath)), resolve(dirname(indexPath), shard));
    if (isAbsolute(shard) || rel.startsWith('..') || isAbsolute(rel)) {
      throw badIndex(indexPath, `weight_map entry "${tensor}" points outside the index's directory (${shard})`);
    }
    weightMap.push([tensor, shard]);
  }
  const metadata = Object.fromEntries(Object.entries(rawMetadata).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return { metadata, weightMap };
}

function openIndex(indexPath: string): TensorSource {
  const { metadata, weightMap } = parseIndex(indexPath);
  const dir = dirname(indexPath);

  const tensorsByShard = new Map<string, string[]>();
  for (const [tensor, shard] of weightMap) {
    const list = tensorsByShard.get(shard);
    if (list) list.push(tensor);
    else tensorsByShard.set(shard, [tensor]);
  }

  const shards = new Map<string, SafetensorsFile>();
  const closeAll = () => {
    for (const file of shards.values()) file.close();
  };
  try {
    for (const [shard, names] of tensorsByShard) {
      const shardPath = join(dir, shard);
      if (!existsSync(shardPath)) {
        throw new RRError(
          'SAFETENSORS_SHARD_MISSING',
          `${indexPath}: shard ${shard} is missing (expected at ${shardPath}); it holds ${names.length} tensor(s) such as "${names[0]}". Download or copy the missing shard.`,
          { file: indexPath, shard: shardPath, tensors: names.slice(0, 10) },
        );
      }
      shards.set(shard, openSafetensors(shardPath));
    }

    // A tensor stored in two shards makes "which one is loaded" depend on the reader; refuse it.
    const holder = new Map<string, string>();
    for (const [shard, file] of shards) {
      for (const tensor of file.tensors.keys()) {
        const other = holder.get(tensor);
        if (other !== undefined) {
          throw new RRError(
            'SAFETENSORS_DUPLICATE_TENSOR',
            `${indexPath}: tensor "${tensor}" is present in both ${other} and ${shard}. Remove it from one of the shards or re-export the model.`,
            { file: indexPath, tensor, shards: [other, shard] },
          );
        }
        holder.set(tensor, shard);
      }
    }

    const tensors = new Map<string, TensorInfo & { file: string }>();
    const shardByTensor = new Map(weightMap);
    for (const [tensor, shard] of weightMap) {
      const file = shards.get(shard)!;
      const info = file.tensors.get(tensor);
      if (info === undefined) {
        const actual = holder.get(tensor);
        throw new RRError(
          'SAFETENSORS_INDEX_MISMATCH',
          `${indexPath}: weight_map puts tensor "${tensor}" in ${shard}, but ${file.path} does not contain it${
            actual ? ` (it is in ${actual})` : ''
          }. The index and the shards are from different exports; re-download them together.`,
          { file: indexPath, tensor, shard: file.path },
        );
      }
      tensors.set(tensor, { ...info, file: file.path });
    }

    const shardOf = (name: string): SafetensorsFile => {
      const shard = shardByTensor.get(name);
      if (shard === undefined) {
        throw new RRError(
          'SAFETENSORS_MISSING_TENSOR',
          `${indexPath}: no tensor named "${name}" in the weight_map. ${describeAlternatives(name, [...tensors.keys()])}`,
          { file: indexPath, tensor: name },
        );
      }
      return shards.get(shard)!;
    };
    return {
      tensors,
      metadata,
      readF32: (name) => shardOf(name).readF32(name),
      readRaw: (name) => shardOf(name).readRaw(name),
      close: closeAll,
    };
  } catch (err) {
    closeAll();
    throw err;
  }
}

export interface ShardedWriteOptions {
  /**
   * Largest tensor-data size of one shard, in bytes (headers not counted, as in Hugging Face). A
   * tensor larger than this gets a shard of its own.
   */
  maxShardBytes: number;
  /** Written into every shard's `__metadata__` and into the index's `metadata`. */
  metadata?: Record<string, string>;
}

function shardName(i: number, n: number): string {
  return `model-${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
}

/**
 * Writes `tensors` into `dir` (created if missing): a single model.safetensors when they fit in
 * `maxShardBytes`, else shards `model-0000i-of-0000n.safetensors` (filled greedily in the order of
 * `tensors`, so related tensors stay together) plus `model.safetensors.index.json`. Each file is
 * written atomically; the index is written after all its shards, so it never names a shard that is
 * not there yet. Weight files left by an earlier save into the same directory (the other form, or
 * shards of a different count) are deleted afterwards, so a later openModelWeights cannot pick up
 * stale weights. Returns the paths written, the index last.
 */
export function writeShardedSafetensors(dir: string, tensors: Record<string, TensorToWrite>, options: ShardedWriteOptions): { files: string[] } {
  const { maxShardBytes, metadata } = options;
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes <= 0) {
    throw new RRError('SAFETENSORS_BAD_OPTION', `writeShardedSafetensors(${dir}): maxShardBytes must be a positive integer, got ${maxShardBytes}.`, {
      dir,
      maxShardBytes,
    });
  }

  // Validate everything before the first byte is written, so bad input leaves the directory alone.
  const groups: { names: string[]; bytes: number }[] = [];
  let totalSize = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const bytes = validateTensorToWrite(name, tensor);
    totalSize += bytes;
    const current = groups[groups.length - 1];
    if (current && current.bytes + bytes <= maxShardBytes) {
      current.names.push(name);
      current.bytes += bytes;
    } else {
      groups.push({ names: [name], bytes });
    }
  }

  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fsError(err, dir, 'create directory');
  }

  const pick = (names: string[]) => Object.fromEntries(names.map((n) => [n, tensors[n]]));
  const files: string[] = [];
  if (groups.length <= 1) {
    const path = join(dir, SINGLE_FILE_NAME);
    writeSafetensors(path, tensors, metadata);
    files.push(path);
  } else {
    const weightMap: [string, string][] = [];
    groups.forEach((group, i) => {
      const name = shardName(i + 1, groups.length);
      writeSafetensors(join(dir, name), pick(group.names), metadata);
      files.push(join(dir, name));
      for (const tensor of group.names) weightMap.push([tensor, name]);
    });
    // Sorted keys and 2-space indentation, as transformers writes it (json.dumps(sort_keys=True, indent=2)).
    const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    // total_size (the data bytes of all shards) is what transformers puts there; it overrides a caller's key of that name.
    const indexMetadata: [string, unknown][] = Object.entries(metadata ?? {}).filter(([k]) => k !== 'total_size');
    indexMetadata.push(['total_size', totalSize]);
    const index = {
      metadata: Object.fromEntries(indexMetadata.sort(byKey)),
      weight_map: Object.fromEntries(weightMap.sort(byKey)),
    };
    const indexPath = join(dir, INDEX_FILE_NAME);
    const text = new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`);
    writeFileAtomically(indexPath, (append) => append(text));
    files.push(indexPath);
  }

  removeStaleWeights(dir, new Set(files.map((f) => basename(f))));
  return { files };
}

/** Deletes model.safetensors / index / model-*-of-*.safetensors files in `dir` that this save did not write. */
function removeStaleWeights(dir: string, keep: ReadonlySet<string>): void {
  for (const entry of listDirectory(dir)) {
    const isWeights = entry === SINGLE_FILE_NAME || entry === INDEX_FILE_NAME || SHARD_PATTERN.test(entry);
    if (!isWeights || keep.has(entry)) continue;
    try {
      unlinkSync(join(dir, entry));
    } catch (err) {
      throw fsError(err, join(dir, entry), 'remove stale weights file');
    }
  }
}
