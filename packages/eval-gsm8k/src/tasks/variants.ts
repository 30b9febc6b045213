import { RRError } from '@rr/tensor';
import type { TaskName } from './task-spec.js';

/**
 * GSM8K variants under the names lm-evaluation-harness runs them by:
 *
 * - `gsm8k_cot_sean`: the paper's. The harness's `gsm8k_cot` task with "Let's think step by step."
 *   after every `A:` (the authors' eval_yamls/gsm8k-cot-sean.yaml registers it under this name),
 *   run with `--num_fewshot 1` (their shells/eval.sh).
 * - `gsm8k_cot`: the harness's chain-of-thought task as shipped, 8 fixed exemplars, no cue.
 * - `gsm8k`: the harness's standard task, 5 exemplars drawn from the train split.
 */
export type Gsm8kVariantName = 'gsm8k_cot_sean' | 'gsm8k_cot' | 'gsm8k';

export interface Gsm8kVariant {
  readonly name: Gsm8kVariantName;
  readonly task: TaskName;
  readonly shots: number;
  readonly cue: boolean;
}

export const GSM8K_VARIANTS: Readonly<Record<Gsm8kVariantName, Gsm8kVariant>> = {
  gsm8k_cot_sean: { name: 'gsm8k_cot_sean', task: 'gsm8k-cot', shots: 1, cue: true },
  gsm8k_cot: { name: 'gsm8k_cot', task: 'gsm8k-cot', shots: 8, cue: false },
  gsm8k: { name: 'gsm8k', task: 'gsm8k', shots: 5, cue: false },
};

export const GSM8K_VARIANT_NAMES = Object.keys(GSM8K_VARIANTS) as Gsm8kVariantName[];

/** What the paper evaluates with, and so the default of the pipeline and of `rr eval gsm8k`. */
export const PAPER_VARIANT: Gsm8kVariantName = 'gsm8k_cot_sean';

/** The variant of a name; an `RRError` (`EVAL_UNKNOWN_TASK`) for anything else. */
export function gsm8kVariant(name: string): Gsm8kVariant {
  const v = (GSM8K_VARIANTS as Record<string, Gsm8kVariant>)[name];
  if (!v)
    throw new RRError(
      'EVAL_UNKNOWN_TASK',
      `Unknown GSM8K variant ${JSON.stringify(name)}. Use one of ${GSM8K_VARIANT_NAMES.map((n) => `"${n}"`).join(', ')}.`,
      { variant: name },
    );
  return v;
}

/** The harness task that runs these settings: gsm8k, gsm8k_cot, or gsm8k_cot_sean (gsm8k_cot with the cue). */
export function harnessVariantName(task: TaskName, cue: boolean): Gsm8kVariantName {
  return task === 'gsm8k' ? 'gsm8k' : cue ? 'gsm8k_cot_sean' : 'gsm8k_cot';
}

/** "gsm8k_cot_sean, num_fewshot 1 (the paper's)": what a report prints as the variant that ran. */
export function describeVariant(task: TaskName, shots: number, cue: boolean): string {
  const name = harnessVariantName(task, cue);
  const paper = GSM8K_VARIANTS[PAPER_VARIANT];
  const isPaper = name === paper.name && shots === paper.shots;
  return `${name}, num_fewshot ${shots}${isPaper ? " (the paper's)" : ''}`;
}
