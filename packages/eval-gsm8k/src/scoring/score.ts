import { type TaskName, taskSpec } from '../tasks/task-spec.js';
import { exactMatch } from './exact-match.js';
import { applyRegexFilter } from './regex-filter.js';

/** The two filters' outputs for one completion and whether each matches the target. */
export interface CompletionScore {
  readonly extracted: { readonly strict: string; readonly flexible: string };
  readonly correct: { readonly strict: boolean; readonly flexible: boolean };
}

/**
 * Scores one completion the way the harness does: each filter (`strict-match`,
 * `flexible-extract`) extracts an answer or "[invalid]", which is then exact-matched against the
 * target after normalisation. `completion` is scored as given: cut it at the stop sequences first
 * ({@link truncateAtStop}) if it came straight from a generator. `target` may be the bare number
 * ("72") or the full GSM8K answer ("... #### 72"); both normalise to the same string.
 */
export function scoreCompletion(completion: string, target: string, task: TaskName): CompletionScore {
  const spec = taskSpec(task);
  const strict = applyRegexFilter(spec.strict, completion);
  const flexible = applyRegexFilter(spec.flexible, completion);
  return {
    extracted: { strict, flexible },
    correct: { strict: exactMatch(strict, target), flexible: exactMatch(flexible, target) },
  };
}
