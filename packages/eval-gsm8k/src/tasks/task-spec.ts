import { RRError } from '@rr/tensor';
import type { RegexFilterSpec } from '../scoring/regex-filter.js';

/**
 * The two GSM8K variants of lm-evaluation-harness (task version 3.0 of both YAMLs):
 *
 * - `gsm8k-cot` (harness `gsm8k_cot`): `Q: ...\nA:` prompts with the 8 fixed chain-of-thought
 *   exemplars, targets "The answer is N." The paper's variant; optionally with the cue
 *   "Let's think step by step." after every `A:` (docs/method.md section 3).
 * - `gsm8k` (harness `gsm8k`): `Question: ...\nAnswer:` prompts, 5 exemplars drawn at random from
 *   the train split with the harness's fixed seed, targets the full worked answer ending "#### N".
 */
export type TaskName = 'gsm8k-cot' | 'gsm8k';

export const TASK_NAMES: readonly TaskName[] = ['gsm8k-cot', 'gsm8k'];

export interface TaskSpec {
  readonly name: TaskName;
  /** The harness's task name, for `lm_eval --tasks`. */
  readonly harnessTask: string;
  /** The harness's `num_fewshot`. */
  readonly defaultShots: number;
  /** Generation stops at the first of these (the harness's `generation_kwargs.until`). */
  readonly stop: readonly string[];
  /** The `strict-match` filter. */
  readonly strict: RegexFilterSpec;
  /** The `flexible-extract` filter: the last number-like run in the completion. */
  readonly flexible: RegexFilterSpec;
}

/** Both tasks' `flexible-extract`: `group_select: -1`, then the first non-empty group. */
const FLEXIBLE_EXTRACT: RegexFilterSpec = {
  python: '(-?[$0-9.,]{2,})|(-?[0-9]+)',
  pattern: /(-?[$0-9.,]{2,})|(-?[0-9]+)/g,
  groupSelect: -1,
};

/**
 * The harness's max_gen_toks default (lm_eval/models/utils.py `normalize_gen_kwargs`), used when a
 * task does not set one; neither GSM8K YAML does.
 */
export const DEFAULT_MAX_NEW_TOKENS = 256;

export const TASKS: Readonly<Record<TaskName, TaskSpec>> = {
  'gsm8k-cot': {
    name: 'gsm8k-cot',
    harnessTask: 'gsm8k_cot',
    defaultShots: 8,
    stop: ['Q:', '</s>', '<|im_end|>'],
    strict: {
      // The final `.` is "any character but a newline", not a literal dot: "The answer is 72" at the
      // very end of a completion does not match as 72 (the group backs off to "7" and `.` eats "2").
      python: 'The answer is (\\-?[0-9\\.\\,]+).',
      pattern: /The answer is (-?[0-9.,]+)[^\n]/g,
      groupSelect: 0,
    },
    flexible: FLEXIBLE_EXTRACT,
  },
  gsm8k: {
    name: 'gsm8k',
    harnessTask: 'gsm8k',
    defaultShots: 5,
    stop: ['Question:', '</s>', '<|im_end|>'],
    strict: {
      python: '#### (\\-?[0-9\\.\\,]+)',
      pattern: /#### (-?[0-9.,]+)/g,
      groupSelect: 0,
    },
    flexible: FLEXIBLE_EXTRACT,
  },
};

/** The spec of a task name; an `RRError` (`EVAL_UNKNOWN_TASK`) for anything else. */
export function taskSpec(name: string): TaskSpec {
  if (name === 'gsm8k-cot' || name === 'gsm8k') return TASKS[name];
  throw new RRError('EVAL_UNKNOWN_TASK', `Unknown GSM8K task ${JSON.stringify(name)}. Use one of ${TASK_NAMES.map((t) => `"${t}"`).join(', ')}.`, {
    task: name,
  });
}
