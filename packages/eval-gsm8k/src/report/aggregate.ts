import type { SampleRecord } from '../io/sample-log.js';
import { accuracyOf } from '../scoring/metrics.js';

/** One row of `report.json`'s `results`: a checkpoint evaluated at one recurrence. */
export interface RecurrenceResult {
  readonly recurrence: number;
  readonly n: number;
  /** strict-match accuracy, 0..1. */
  readonly strict: number;
  /** flexible-extract accuracy, 0..1: the headline number (docs/method.md section 3). */
  readonly flexible: number;
  /** Standard error of `flexible` (the harness's mean_stderr); null for n < 2. */
  readonly stderr: number | null;
  /** Standard error of `strict`; null for n < 2. */
  readonly strict_stderr: number | null;
  /** Generated tokens per second of generation wall time; null when no time was recorded. */
  readonly tokens_per_s: number | null;
  /** Recurrence steps per generated token, averaged over all generated tokens. */
  readonly mean_steps: number;
}

/**
 * Per-recurrence aggregates of per-sample records. Samples are taken in doc order, as the harness
 * sums them, so accuracy and stderr agree with it to the last bit for the same completions.
 * Recurrences with no records are left out; `recurrences` picks and orders the rows (default: every
 * recurrence present, ascending).
 */
export function aggregateByRecurrence(records: readonly SampleRecord[], recurrences?: readonly number[]): RecurrenceResult[] {
  const groups = new Map<number, SampleRecord[]>();
  for (const r of records) {
    const group = groups.get(r.recurrence);
    if (group) group.push(r);
    else groups.set(r.recurrence, [r]);
  }
  const order = recurrences ?? [...groups.keys()].sort((a, b) => a - b);
  const rows: RecurrenceResult[] = [];
  for (const recurrence of order) {
    const group = groups.get(recurrence);
    if (!group || group.length === 0) continue;
    group.sort((a, b) => a.index - b.index);
    const strict = accuracyOf(group.map((r) => r.correct.strict));
    const flexible = accuracyOf(group.map((r) => r.correct.flexible));
    let tokens = 0;
    let seconds = 0;
    let stepTokens = 0;
    for (const r of group) {
      tokens += r.tokens;
      seconds += r.seconds;
      stepTokens += r.mean_steps * r.tokens;
    }
    rows.push({
      recurrence,
      n: group.length,
      strict: strict.accuracy,
      flexible: flexible.accuracy,
      stderr: flexible.stderr,
      strict_stderr: strict.stderr,
      tokens_per_s: seconds > 0 ? tokens / seconds : null,
      // Token-weighted, so long completions count per token as the model spent them; a sweep that
      // generated no tokens at all still reports its samples' plain mean.
      mean_steps: tokens > 0 ? stepTokens / tokens : group.reduce((s, r) => s + r.mean_steps, 0) / group.length,
    });
  }
  return rows;
}
