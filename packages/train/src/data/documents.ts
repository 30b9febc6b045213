import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { type FileMetaData, asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { RRError } from '@rr/tensor';

/** One training data file and how to turn its records into documents (text). */
export interface DataSource {
  path: string;
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

export function formatOf(source: DataSource): 'jsonl' | 'text' | 'parquet' {
  if (source.format) return source.format;
  const ext = extname(source.path).toLowerCase();
  return ext === '.jsonl' || ext === '.json' ? 'jsonl' : ext === '.parquet' ? 'parquet' : 'text';
}

/** Checks that the file exists (at recipe validation, before any work). */
export function checkSource(source: DataSource, where: string): void {
  if (!statSync(source.path, { throwIfNoEntry: false })?.isFile()) {
    throw new RRError('DATA_NOT_FOUND', `${where}: data file ${source.path} does not exist.`);
  }
}

/** A document and the unscored prompt before it ('' without `promptTemplate`). */
export interface Document {
  prompt: string;
  text: string;
}

/** Every document of a file, in order. Files are read whole: one file of a dataset at a time. */
export async function readDocuments(source: DataSource): Promise<Document[]> {
  checkSource(source, 'data');
  const format = formatOf(source);
  if (format === 'text') {
    if (source.promptTemplate !== undefined) throw new RRError('DATA_INVALID', `${source.path}: promptTemplate needs records (jsonl or parquet); plain text has no fields to render it from.`);
    return splitText(readFileSync(source.path, 'utf8'), source.separator).map((text) => ({ prompt: '', text }));
  }
  const records = format === 'jsonl' ? readJsonl(source.path) : await readParquet(source);
  return records.map((r, i) => ({
    prompt: source.promptTemplate === undefined ? '' : fill(source.promptTemplate, r, `${source.path}: record ${i + 1}`, 'promptTemplate'),
    text: render(r, source, i),
  }));
}

function splitText(text: string, separator?: string): string[] {
  const sep = separator ?? (text.includes('<|endoftext|>') ? '<|endoftext|>' : undefined);
  const parts = sep ? text.split(sep) : text.split(/\n\s*\n/);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function readJsonl(path: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  readFileSync(path, 'utf8')
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

async function readParquet(source: DataSource): Promise<Record<string, unknown>[]> {
  const file = await asyncBufferFromFile(source.path);
  const field = source.template || source.promptTemplate ? undefined : (source.field ?? 'text');
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new RRError('DATA_INVALID', `${source.path}: cannot read parquet (${(e as Error).message}).`, {}, { cause: e });
  }
  // only the text column is read; name the ones there are when it is missing
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  if (field !== undefined && !names.includes(field)) {
    throw new RRError('DATA_INVALID', `${source.path}: no column "${field}" (columns: ${names.join(', ')}); set "field" or "template".`);
  }
  try {
    return (await parquetReadObjects({ file, metadata, ...(field !== undefined ? { columns: [field] } : {}) })) as Record<string, unknown>[];
  } catch (e) {
    throw new RRError('DATA_INVALID', `${source.path}: cannot read parquet (${(e as Error).message}).`, {}, { cause: e });
  }
}

function render(record: Record<string, unknown>, source: DataSource, index: number): string {
  const where = `${source.path}: record ${index + 1}`;
  if (source.template) return fill(source.template, record, where, 'template');
  const field = source.field ?? 'text';
  const v = record[field];
  if (typeof v !== 'string') {
    throw new RRError('DATA_INVALID', `${where}: field "${field}" is missing or not a string (fields: ${Object.keys(record).join(', ')}); set "field" or "template".`);
  }
  return v;
}

/** `{name}` placeholders replaced by the record's fields. */
function fill(template: string, record: Record<string, unknown>, where: string, what: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = record[name];
    if (typeof v !== 'string' && typeof v !== 'number') throw new RRError('DATA_INVALID', `${where}: field "${name}" used by the ${what} is missing or not text.`);
    return String(v);
  });
}
