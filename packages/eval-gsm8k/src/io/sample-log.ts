import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';
import { RRError, fsError } from '@rr/tensor';
import { parseJsonl } from './jsonl.js';

/** One evaluated (doc, recurrence) pair: a line of `samples.jsonl`. */
export interface SampleRecord {
  /** Position of the doc in the evaluated split (the harness's doc_id). */
  readonly index: number;
  readonly recurrence: number;
  readonly question: string;
  /** The harness's target for the task (see `harnessTarget`). */
  readonly target: string;
  /** The generated text, cut at the task's stop sequences. */
  readonly completion: string;
  readonly extracted: { readonly strict: string; readonly flexible: string };
  readonly correct: { readonly strict: boolean; readonly flexible: boolean };
  /** Generated tokens. */
  readonly tokens: number;
  /** This sample's share of its batch's generation wall time (batch time / batch size). */
  readonly seconds: number;
  /** Recurrence steps per generated token: r for a fixed r, fewer with adaptive exit. */
  readonly mean_steps: number;
}

/** What {@link readSampleLog} found. */
export interface SampleLogContents {
  readonly records: SampleRecord[];
  /** Bytes up to and including the last complete line. */
  readonly validBytes: number;
  /** True when the file ended in a partial line (a crash mid-append), which was left out. */
  readonly tornTail: boolean;
}

/**
 * Reads a per-sample log. A final line without its newline is what a crash during an append leaves
 * behind: it is ignored (that sample is simply evaluated again). Any complete line that is not a
 * valid record means the file was damaged or is not ours: an `RRError` (`EVAL_LOG_CORRUPT`) naming
 * the line. A missing file is an empty log.
 */
export async function readSampleLog(path: string): Promise<SampleLogContents> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], validBytes: 0, tornTail: false };
    throw new RRError('EVAL_LOG_READ_FAILED', `Reading ${path} failed: ${(err as Error).message}.`, { file: path }, { cause: err });
  }
  // 0x0a never occurs inside a multi-byte UTF-8 sequence, so this is a safe place to cut.
  const validBytes = bytes.lastIndexOf(0x0a) + 1;
  const text = bytes.subarray(0, validBytes).toString('utf8');
  const records = parseJsonl(text, path, 'EVAL_LOG_CORRUPT').map(({ line, value }) => checkRecord(value, path, line));
  return { records, validBytes, tornTail: validBytes < bytes.length };
}

/**
 * The append-only per-sample log of an evaluation, and the resume state it implies: which
 * (index, recurrence) pairs are done. Records are appended whole lines at a time and flushed to
 * disk per append, so a crash loses at most the batch in flight.
 */
export class SampleLog {
  private readonly byKey = new Map<string, SampleRecord>();

  private constructor(
    readonly path: string,
    /** True when opening dropped a torn last line. */
    readonly droppedTornLine: boolean,
    records: readonly SampleRecord[],
  ) {
    // A pair evaluated twice (two runs appending concurrently) keeps its first record.
    for (const r of records) if (!this.byKey.has(key(r.index, r.recurrence))) this.byKey.set(key(r.index, r.recurrence), r);
  }

  /** Opens (or starts) the log at `path`, cutting a torn last line off the file. */
  static async open(path: string): Promise<SampleLog> {
    const { records, validBytes, tornTail } = await readSampleLog(path);
    // Appending after a torn line would glue the next record onto it, so cut it off first.
    if (tornTail) await truncate(path, validBytes);
    return new SampleLog(path, tornTail, records);
  }

  get size(): number {
    return this.byKey.size;
  }

  has(index: number, recurrence: number): boolean {
    return this.byKey.has(key(index, recurrence));
  }

  get(index: number, recurrence: number): SampleRecord | undefined {
    return this.byKey.get(key(index, recurrence));
  }

  /** Every record, in the order first written. */
  records(): SampleRecord[] {
    return [...this.byKey.values()];
  }

  async append(records: readonly SampleRecord[]): Promise<void> {
    if (records.length === 0) return;
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    let file: FileHandle | undefined;
    try {
      file = await open(this.path, 'a');
      await file.writeFile(text, 'utf8');
      await file.datasync();
    } catch (err) {
      // a full, read-only or forbidden disk gets its own code and fix; anything else stays a log failure
      const named = fsError(err, this.path, 'append to');
      if (named.code !== 'FILE_IO_ERROR') throw named;
      throw new RRError('EVAL_LOG_WRITE_FAILED', `Appending to ${this.path} failed: ${(err as Error).message}.`, { file: this.path }, { cause: err });
    } finally {
      await file?.close();
    }
    for (const r of records) if (!this.has(r.index, r.recurrence)) this.byKey.set(key(r.index, r.recurrence), r);
  }
}

function key(index: number, recurrence: number): string {
  return `${index}@${recurrence}`;
}

function checkRecord(value: unknown, file: string, line: number): SampleRecord {
  const bad = (what: string): RRError =>
    new RRError(
      'EVAL_LOG_CORRUPT',
      `${file}:${line}: ${what}, so this is not a per-sample record of rr eval gsm8k. Use a fresh --out directory, or delete the damaged line to resume.`,
      { file, line },
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('the line is not a JSON object');
  const r = value as Record<string, unknown>;
  for (const f of ['index', 'recurrence', 'tokens', 'seconds', 'mean_steps'] as const) {
    if (typeof r[f] !== 'number' || !Number.isFinite(r[f])) throw bad(`field "${f}" is not a finite number`);
  }
  if (!Number.isSafeInteger(r.index) || (r.index as number) < 0) throw bad('field "index" is not a non-negative integer');
  if (!Number.isSafeInteger(r.recurrence) || (r.recurrence as number) < 1) throw bad('field "recurrence" is not a positive integer');
  for (const f of ['question', 'target', 'completion'] as const) {
    if (typeof r[f] !== 'string') throw bad(`field "${f}" is not a string`);
  }
  const pair = (f: 'extracted' | 'correct', type: 'string' | 'boolean'): void => {
    const p = r[f] as Record<string, unknown> | null | undefined;
    if (typeof p !== 'object' || p === null || typeof p.strict !== type || typeof p.flexible !== type) {
      throw bad(`field "${f}" is not {"strict": ${type}, "flexible": ${type}}`);
    }
  };
  pair('extracted', 'string');
  pair('correct', 'boolean');
  return value as SampleRecord;
}
