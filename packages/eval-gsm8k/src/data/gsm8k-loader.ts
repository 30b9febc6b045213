import { readFile } from 'node:fs/promises';
import { RRError } from '@rr/tensor';
import { parseJsonl } from '../io/jsonl.js';

/** One GSM8K problem, as in openai/grade-school-math and the `openai/gsm8k` dataset ("main"). */
export interface Gsm8kSample {
  readonly question: string;
  /** Worked solution with `<<calc>>` annotations, ending with a `#### <number>` line. */
  readonly answer: string;
}

export type Gsm8kSplit = 'train' | 'test';

/**
 * Where the monorepo keeps GSM8K, relative to the repository root (see fixtures/README.md).
 * Callers always may pass their own file instead.
 */
export const DEFAULT_GSM8K_DIR = 'fixtures/gsm8k';

/** `<dir>/<split>.jsonl`. */
export function gsm8kSplitPath(split: Gsm8kSplit, dir: string = DEFAULT_GSM8K_DIR): string {
  return `${dir.replace(/\/+$/, '')}/${split}.jsonl`;
}

/** Reads a GSM8K JSONL file; see {@link parseGsm8k} for what is checked. */
export async function loadGsm8k(path: string): Promise<Gsm8kSample[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new RRError(
      missing ? 'GSM8K_FILE_NOT_FOUND' : 'GSM8K_READ_FAILED',
      missing
        ? `GSM8K file ${path} does not exist. Pass the path of a JSONL file with "question" and "answer" per line (the repository keeps the splits in ${DEFAULT_GSM8K_DIR}/{train,test}.jsonl).`
        : `Reading GSM8K file ${path} failed: ${(err as Error).message}.`,
      { file: path },
      { cause: err },
    );
  }
  return parseGsm8k(text, path);
}

/**
 * Parses GSM8K JSONL. Every non-blank line must be an object with a non-empty string `question` and
 * a string `answer` containing `#### ` (the harness's `gsm8k` target regex and the normalisation both
 * key on it, so an answer without it could never be scored). A bad line is an `RRError`
 * (`GSM8K_BAD_LINE`) naming the file and the 1-based line number. Other fields are ignored.
 */
export function parseGsm8k(text: string, file: string): Gsm8kSample[] {
  const samples: Gsm8kSample[] = [];
  for (const { line, value } of parseJsonl(text, file, 'GSM8K_BAD_LINE')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badLine(file, line, `is ${describe(value)}, not an object with "question" and "answer"`);
    }
    const { question, answer } = value as Record<string, unknown>;
    if (typeof question !== 'string' || question.trim() === '') {
      throw badLine(file, line, `field "question" is ${describe(question)}; it must be a non-empty string`);
    }
    if (typeof answer !== 'string' || answer.trim() === '') {
      throw badLine(file, line, `field "answer" is ${describe(answer)}; it must be a non-empty string`);
    }
    if (!answer.includes('#### ')) {
      throw badLine(file, line, 'field "answer" has no "#### <number>" final line (GSM8K answers end with e.g. "#### 72")');
    }
    samples.push({ question, answer });
  }
  return samples;
}

function badLine(file: string, line: number, problem: string): RRError {
  return new RRError('GSM8K_BAD_LINE', `${file}:${line}: ${problem}. Fix or remove that line.`, { file, line });
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}
