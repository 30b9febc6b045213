import { RRError } from '@rr/tensor';
import type { Gsm8kSample } from '../data/gsm8k-loader.js';
import { pythonStrip } from '../python-str.js';
import { GSM8K_COT_EXEMPLARS } from './cot-exemplars.js';
import { harnessFewshotIndices, HARNESS_FEWSHOT_SEED } from './fewshot-sampler.js';
import { type TaskName, taskSpec } from './task-spec.js';

/** The cue of the paper's gsm8k-cot variant (and of the harness's `gsm8k_cot_zeroshot`). */
export const STEP_BY_STEP_CUE = "Let's think step by step.";

/** The harness's TaskConfig defaults; neither GSM8K YAML overrides them. */
const TARGET_DELIMITER = ' ';
const FEWSHOT_DELIMITER = '\n\n';

export interface PromptOptions {
  readonly task: TaskName;
  /** 0..8 for gsm8k-cot; 0..pool size for gsm8k. Default: the harness's (8 / 5). */
  readonly shots?: number;
  /** gsm8k-cot only: end every `A:` with " Let's think step by step." (docs/method.md section 3). */
  readonly cue?: boolean;
  /** gsm8k only: the split exemplars are drawn from, in dataset order (the train split). */
  readonly fewshotPool?: readonly Gsm8kSample[];
  /** gsm8k only: the sampler seed; the harness's is 1234. */
  readonly seed?: number;
}

/**
 * The prompts the harness builds for docs 0..n-1 of the evaluated split
 * (ConfigurableTask.fewshot_context, plain text, no chat template, no system prompt):
 *
 *   for each exemplar: doc_to_text(ex) + " " + doc_to_target(ex) + "\n\n"
 *   then:              doc_to_text(doc)
 *
 * gsm8k-cot:  doc_to_text = "Q: {question}\nA:"  (with cue: "...\nA: Let's think step by step.")
 *             exemplar target = the YAML's reasoning ("... The answer is 6.")
 * gsm8k:      doc_to_text = "Question: {question}\nAnswer:", exemplar target = the full answer
 *
 * Prompts end right after "A:"/"Answer:" (or the cue) with no trailing space; the model's
 * continuation supplies it. The list is positional: prompt i belongs to docs[i], and for gsm8k
 * its exemplars are the harness's i-th draw, so pass docs in dataset order starting at doc 0.
 */
export function buildPrompts(docs: readonly Gsm8kSample[], options: PromptOptions): string[] {
  const spec = taskSpec(options.task);
  const shots = options.shots ?? spec.defaultShots;
  if (options.task === 'gsm8k-cot') {
    checkShots(shots, GSM8K_COT_EXEMPLARS.length, 'gsm8k-cot has 8 fixed exemplars');
    if (options.fewshotPool !== undefined) {
      throw badOption('fewshotPool', 'gsm8k-cot always uses its 8 fixed exemplars; a few-shot pool only applies to the gsm8k task');
    }
    const cue = options.cue ?? false;
    const prefix = GSM8K_COT_EXEMPLARS.slice(0, shots)
      .map((ex) => cotText(ex.question, cue) + TARGET_DELIMITER + ex.target + FEWSHOT_DELIMITER)
      .join('');
    return docs.map((doc) => prefix + cotText(doc.question, cue));
  }

  if (options.cue) throw badOption('cue', 'the step-by-step cue belongs to gsm8k-cot; the gsm8k task has none');
  const pool = options.fewshotPool ?? [];
  if (shots > 0 && options.fewshotPool === undefined) {
    throw badOption(
      'fewshotPool',
      `gsm8k with ${shots} shots draws its exemplars from the train split: load it with loadGsm8k and pass it as fewshotPool (or use shots: 0)`,
    );
  }
  checkShots(shots, pool.length, `the few-shot pool has ${pool.length} samples`);
  const draws = harnessFewshotIndices({ docs: docs.length, poolSize: pool.length, shots, seed: options.seed ?? HARNESS_FEWSHOT_SEED });
  return docs.map((doc, i) => {
    const prefix = draws[i].map((j) => plainText(pool[j].question) + TARGET_DELIMITER + pool[j].answer + FEWSHOT_DELIMITER).join('');
    return prefix + plainText(doc.question);
  });
}

/**
 * The reference answer the harness scores against (`doc_to_target`): for gsm8k-cot the text after
 * the last "####", stripped ("72"); for gsm8k the whole answer (the `(?s).*#### ` normalisation
 * reduces it to the same number at scoring time).
 */
export function harnessTarget(doc: Gsm8kSample, task: TaskName): string {
  if (task === 'gsm8k') return doc.answer;
  const parts = doc.answer.split('####');
  return pythonStrip(parts[parts.length - 1]);
}

function cotText(question: string, cue: boolean): string {
  return `Q: ${question}\nA:${cue ? ` ${STEP_BY_STEP_CUE}` : ''}`;
}

function plainText(question: string): string {
  return `Question: ${question}\nAnswer:`;
}

function checkShots(shots: number, max: number, why: string): void {
  if (!Number.isInteger(shots) || shots < 0 || shots > max) {
    throw badOption('shots', `${JSON.stringify(shots)} must be an integer from 0 to ${max} (${why})`);
  }
}

function badOption(option: string, problem: string): RRError {
  return new RRError('EVAL_BAD_OPTION', `GSM8K prompt option ${option}: ${problem}.`, { option });
}
