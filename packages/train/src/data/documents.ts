import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { type FileMetaData, asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { RRError, fsError } from '@rr/tensor';

/** One source of training data (a file, or a folder of files) and how to turn its records into documents. */
export interface DataSource {
  /** A data file, or a folder: then every .jsonl/.json/.parquet/.txt file in it, by name (e.g. a dataset's shards). */
  path: string;
  /**
   * Share of the documents drawn from this source when a phase lists several (relative to the
   * others' weights; default 1). The mixer realises the weights exactly over every block of draws.
   */
  weight?: number;
  /** Inferred from the extension: .jsonl/.json -> jsonl, .parquet -> parquet, else text. */
  format?: 'jsonl' | 'text' | 'parquet';
  /** The text field of jsonl/parquet records (default "text"). */
  field?: string;
  /**
   * Renders a record instead of `field`: `{name}` placeholders name record fields, e.g. GSM8K's
   * "Question: {question}\nAnswer: {answer}".
   */
  template?: string;
  /**
   * The unscored start of each record, rendered like `template` and put before the document (jsonl
   * and parquet only): the loss then covers only the document that follows, as completion-only
   * fine-tuning does, e.g. prompt "Q: {question}\nA:" with template " {answer}".
   */
  promptTemplate?: string;
  /** Plain text: what separates documents (default "<|endoftext|>" when present, else blank lines). */
  separator?: string;
}

export function formatOf(source: DataSource, file = source.path): 'jsonl' | 'text' | 'parquet' {
  if (source.format) return source.format;
  const ext = extname(file).toLowerCase();
  return ext === '.jsonl' || ext === '.json' ? 'jsonl' : ext === '.parquet' ? 'parquet' : 'text';
}

const DATA_EXTENSIONS = new Set(['.jsonl', '.json', '.parquet', '.txt']);

/** The files of a source: the file itself, or a folder's data files sorted by name. */
export function sourceFiles(source: DataSource, where = 'data'): string[] {
  const stat = statSync(source.path, { throwIfNoEntry: false });
  if (stat?.isFile()) return [source.path];
  if (!stat?.isDirectory()) throw new RRError('DATA_NOT_FOUND', `${where}: data file ${source.path} does not exist.`);
  const files = readdirSync(source.path)
    .filter((name) => DATA_EXTENSIONS.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => join(source.path, name))
    .filter((file) => statSync(file).isFile());
  if (files.length === 0) {
    throw new RRError('DATA_NOT_FOUND', `${where}: the folder ${source.path} holds no data file (${[...DATA_EXTENSIONS].join(', ')}).`);
  }
  return files;
}

/** Checks that the file or folder exists and holds data, and that the weight is usable (at recipe validation, before any work). */
export function checkSource(source: DataSource, where: string): void {
  sourceFiles(source, where);
  if (source.weight !== undefined && !(source.weight > 0 && Number.isFinite(source.weight))) {
    throw new RRError('DATA_INVALID', `${where}: ${source.path} has weight ${source.weight}; a weight must be a positive number.`);
  }
}

/** A document and the unscored prompt before it ('' without `promptTemplate`). */
export interface Document {
  prompt: string;
  text: string;
}

/**
 * Every document of one file of a source (default: the source's own path), in order. Files are
 * read whole: one file of a dataset at a time.
 */
export async function readDocuments(source: DataSource, file = source.path): Promise<Document[]> {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw new RRError('DATA_NOT_FOUND', `data: data file ${file} does not exist.`);
  if (stat.size > MAX_FILE_BYTES) {
    throw new RRError(
      'DATA_TOO_LARGE',
      `${file}: ${(stat.size / 2 ** 20).toFixed(0)} MiB is more than one data file may hold (${MAX_FILE_BYTES / 2 ** 20} MiB, read whole as one string); split it into several files listed in "data".`,
      { path: file },
    );
  }
  const format = formatOf(source, file);
  if (format === 'text') {
    if (source.promptTemplate !== undefined)
      throw new RRError('DATA_INVALID', `${file}: promptTemplate needs records (jsonl or parquet); plain text has no fields to render it from.`);
    return splitText(readText(file), source.separator).map((text) => ({ prompt: '', text }));
  }
  const records = format === 'jsonl' ? readJsonl(file) : await readParquet(source, file);
  return records.map((r, i) => ({
    prompt: source.promptTemplate === undefined ? '' : fill(source.promptTemplate, r, `${file}: record ${i + 1}`, 'promptTemplate'),
    text: render(r, source, file, i),
  }));
}

/** Files are read whole into one JavaScript string, which V8 caps at about 512 MiB of text. */
const MAX_FILE_BYTES = 256 * 2 ** 20;

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw fsError(e, path, 'read the data file');
  }
}

function splitText(text: string, separator?: string): string[] {
  const sep = separator ?? (text.includes('<|endoftext|>') ? '<|endoftext|>' : undefined);
  const parts = sep ? text.split(sep) : text.split(/\n\s*\n/);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function readJsonl(path: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  readText(path)
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const v = JSON.parse(line) as unknown;
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
        out.push(v as Record<string, unknown>);
      } catch (e) {
        throw new RRError('DATA_INVALID', `${path}:${i + 1}: ${(e as Error).message}; each line must be one JSON object.`);
      }
    });
  return out;
}

async function readParquet(source: DataSource, path: string): Promise<Record<string, unknown>[]> {
  const file = await asyncBufferFromFile(path);
  const field = source.template || source.promptTemplate ? undefined : (source.field ?? 'text');
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new RRError('DATA_INVALID', `${path}: cannot read parquet (${(e as Error).message}).`, {}, { cause: e });
  }
  // only the text column is read; name the ones there are when it is missing
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  if (field !== undefined && !names.includes(field)) {
    throw new RRError('DATA_INVALID', `${path}: no column "${field}" (columns: ${names.join(', ')}); set "field" or "template".`);
  }
  try {
    return (await parquetReadObjects({ file, metadata, ...(field !== undefined ? { columns: [field] } : {}) })) as Record<string, unknown>[];
  } catch (e) {
    throw new RRError('DATA_INVALID', `${path}: cannot read parquet (${(e as Error).message}).`, {}, { cause: e });
  }
}

function render(record: Record<string, unknown>, source: DataSource, file: string, index: number): string {
  const where = `${file}: record ${index + 1}`;
  if (source.template) return fill(source.template, record, where, 'template');
  const field = source.field ?? 'text';
  const v = record[field];
  if (typeof v !== 'string') {
    throw new RRError(
      'DATA_INVALID',
      `${where}: field "${field}" is missing or not a string (fields: ${Object.keys(record).join(', ')}); set "field" or "template".`,
    );
  }
  return v;
}

/** `{name}` placeholders replaced by the record's fields. */
function fill(template: string, record: Record<string, unknown>, where: string, what: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = record[name];
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new RRError('DATA_INVALID', `${where}: field "${name}" used by the ${what} is missing or not text.`);
    return String(v);
  });
}
