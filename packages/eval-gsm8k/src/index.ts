/**
 * @rr/eval-gsm8k: GSM8K evaluation that agrees with lm-evaluation-harness's `gsm8k_cot` and
 * `gsm8k` tasks (prompts, stop sequences, answer extraction, normalisation, accuracy and stderr),
 * the test-time scaling sweep over recurrences, resumable per-sample logs and reports.
 */
export { type Gsm8kSample, type Gsm8kSplit, DEFAULT_GSM8K_DIR, gsm8kSplitPath, loadGsm8k, parseGsm8k } from './data/gsm8k-loader.js';

export { type TaskName, type TaskSpec, TASK_NAMES, TASKS, taskSpec, DEFAULT_MAX_NEW_TOKENS } from './tasks/task-spec.js';
export { type CotExemplar, GSM8K_COT_EXEMPLARS } from './tasks/cot-exemplars.js';
export {
  type Gsm8kVariant,
  type Gsm8kVariantName,
  GSM8K_VARIANTS,
  GSM8K_VARIANT_NAMES,
  PAPER_VARIANT,
  gsm8kVariant,
  harnessVariantName,
  describeVariant,
} from './tasks/variants.js';
export { type PromptOptions, buildPrompts, harnessTarget, STEP_BY_STEP_CUE } from './tasks/prompt.js';
export { harnessFewshotIndices, HARNESS_FEWSHOT_SEED } from './tasks/fewshot-sampler.js';
export { PythonRandom } from './tasks/python-random.js';

export { type RegexFilterSpec, applyRegexFilter, INVALID } from './scoring/regex-filter.js';
export { exactMatch, normalizeForExactMatch, IGNORED_REGEXES } from './scoring/exact-match.js';
export { truncateAtStop } from './scoring/stop-sequences.js';
export { type Accuracy, accuracyOf, mean, meanStderr } from './scoring/metrics.js';
export { type CompletionScore, scoreCompletion } from './scoring/score.js';
export { type RescoreOptions, type RescoreResult, type RescoredLine, scoreCompletions, scoreCompletionsFile } from './scoring/rescore.js';

export { type SampleRecord, type SampleLogContents, SampleLog, readSampleLog } from './io/sample-log.js';

export { type RecurrenceResult, aggregateByRecurrence } from './report/aggregate.js';
export type { Gsm8kReport } from './report/report.js';
export { type ChartOptions, renderAccuracyChart } from './report/chart-svg.js';
export { renderReportHtml } from './report/html.js';
export { renderMarkdownTable } from './report/markdown.js';
export { type ReportFiles, writeReport } from './report/write-report.js';

export type { GenerateOptions, Generation, Generator } from './eval/generator.js';
export { type ModelGenerator, type ModelGeneratorOptions, type ModelGeneratorStats, modelGenerator } from './eval/model-generator.js';
export {
  type EvaluateGsm8kOptions,
  type EvaluateGsm8kResult,
  type EvaluateProgress,
  evaluateGsm8k,
} from './eval/evaluate-gsm8k.js';
