import { readFile } from 'node:fs/promises';
import { RRError, fsError } from '@rr/tensor';
import { parseJsonl } from '../io/jsonl.js';
import { type TaskName, taskSpec } from '../tasks/task-spec.js';
import { type Accuracy, accuracyOf } from './metrics.js';
import { type CompletionScore, scoreCompletion } from './score.js';
import { truncateAtStop } from './stop-sequences.js';

/** One scored line: its 1-based line number and the {@link CompletionScore}. */
export interface RescoredLine extends CompletionScore {
  readonly line: number;
}

/** What `rr eval gsm8k score` prints. */
export interface RescoreResult {
  readonly task: TaskName;
  readonly n: number;
  readonly strict: Accuracy;
  readonly flexible: Accuracy;
  readonly lines: readonly RescoredLine[];
}

export interface RescoreOptions {
  /** Named in errors; default "completions". */
  readonly source?: string;
  /** Line numbers to report for each entry (default 1, 2, 3, ...). */
  readonly lineNumbers?: readonly number[];
}

/**
 * Re-scores saved completions without generating. Each entry must be an object with string
 * `completion` and `target` fields (any others, such as the per-sample records this package
 * writes, are ignored); `target` is the bare number or the full GSM8K answer. Completions are cut
 * at the task's stop sequences first, as the harness does after generation; that is a no-op for
 * text that was already cut. A bad entry is an `RRError` (`SCORE_BAD_LINE`) naming its line.
 */
export function scoreCompletions(lines: readonly unknown[], task: TaskName, options: RescoreOptions = {}): RescoreResult {
  const spec = taskSpec(task);
  const source = options.source ?? 'completions';
  if (lines.length === 0) {
    throw new RRError('SCORE_EMPTY', `${source}: no completions to score. Pass JSONL with one {"completion", "target"} object per line.`, { source });
  }
  const scored = lines.map((entry, i): RescoredLine => {
    const line = options.lineNumbers?.[i] ?? i + 1;
    const { completion, target } = requireFields(entry, source, line);
    return { line, ...scoreCompletion(truncateAtStop(completion, spec.stop), target, task) };
  });
  return {
    task,
    n: scored.length,
    strict: accuracyOf(scored.map((s) => s.correct.strict)),
    flexible: accuracyOf(scored.map((s) => s.correct.flexible)),
    lines: scored,
  };
}

/** {@link scoreCompletions} on a JSONL file; reported line numbers are the file's. */
export async function scoreCompletionsFile(path: string, task: TaskName): Promise<RescoreResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // a folder, no permission, ...: the file-system error's own code and fix
    const named = fsError(err, path, 'read the completions file');
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && named.code !== 'FILE_IO_ERROR') throw named;
    throw new RRError('SCORE_READ_FAILED', `Reading completions file ${path} failed: ${(err as Error).message}.`, { file: path }, { cause: err });
  }
  const rows = parseJsonl(text, path, 'SCORE_BAD_LINE');
  return scoreCompletions(
    rows.map((r) => r.value),
    task,
    { source: path, lineNumbers: rows.map((r) => r.line) },
  );
}

function requireFields(entry: unknown, source: string, line: number): { completion: string; target: string } {
  const isObject = typeof entry === 'object' && entry !== null && !Array.isArray(entry);
  const fields = (isObject ? entry : {}) as Record<string, unknown>;
  for (const name of ['completion', 'target'] as const) {
    const value = fields[name];
    if (typeof value === 'string') continue;
    const problem = !isObject ? 'absent (the line is not an object)' : value === undefined ? 'missing' : `not a string (${JSON.stringify(value)})`;
    throw new RRError('SCORE_BAD_LINE', `${source}:${line}: field "${name}" is ${problem}; every line needs string "completion" and "target" fields.`, {
      source,
      line,
      field: name,
    });
  }
  return { completion: fields.completion as string, target: fields.target as string };
}
