import type { TaskName } from '../tasks/task-spec.js';
import type { RecurrenceResult } from './aggregate.js';

/** `report.json`: one checkpoint's test-time scaling sweep. */
export interface Gsm8kReport {
  readonly task: TaskName;
  /** Which variant ran, by the harness's task name and shot count, e.g. "gsm8k_cot_sean, num_fewshot 1 (the paper's)". */
  readonly variant?: string;
  /** What was evaluated (a model directory, a run name). */
  readonly model: string;
  readonly shots: number;
  /** gsm8k-cot with the "Let's think step by step." cue. */
  readonly cue: boolean;
  /** Static (non-recurrent) model's flexible-extract accuracy, 0..1, drawn as a reference line. */
  readonly static_baseline?: number;
  /** One row per recurrence, ascending. */
  readonly results: readonly RecurrenceResult[];
}

/** Percent with one decimal, as docs/method.md's tables print accuracy; "-" for a missing value. */
export function percent(fraction: number | null | undefined): string {
  return fraction === null || fraction === undefined || !Number.isFinite(fraction) ? '-' : (fraction * 100).toFixed(1);
}

/** "40.0 ± 24.5" (percent), or just the accuracy when there is no stderr. */
export function percentWithStderr(fraction: number, stderr: number | null): string {
  return stderr === null ? percent(fraction) : `${percent(fraction)} ± ${percent(stderr)}`;
}

export function formatRate(tokensPerS: number | null): string {
  return tokensPerS === null ? '-' : tokensPerS >= 100 ? tokensPerS.toFixed(0) : tokensPerS.toPrecision(3);
}

export function formatSteps(meanSteps: number): string {
  return meanSteps.toFixed(2);
}
