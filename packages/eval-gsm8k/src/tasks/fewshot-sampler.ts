import { PythonRandom } from './python-random.js';

/**
 * The seed lm-evaluation-harness gives every task's few-shot sampler (`fewshot_random_seed`,
 * lm_eval/defaults.py DEFAULT_OTHER_SEED), applied by `simple_evaluate` via `set_fewshot_seed`.
 */
export const HARNESS_FEWSHOT_SEED = 1234;

/**
 * The few-shot exemplars the harness's default sampler gives each evaluated doc, as indices into
 * the few-shot pool (the `gsm8k` task's train split).
 *
 * The harness seeds one `random.Random(1234)` per task, then builds the prompts of docs 0, 1, 2, ...
 * in order, each drawing `rnd.sample(train_docs, num_fewshot)` from the same stream (the eval doc
 * is only excluded when few-shot and test split coincide, which they do not here). So doc i's
 * exemplars depend on i and on nothing else: `--limit N` gives the first N docs the same exemplars
 * as a full run. Result[i] lists doc i's exemplars in prompt order.
 *
 * Same as the harness for one process (lm-eval's data-parallel ranks each restart the stream on
 * their own slice of docs) and when the pool is the train split in the dataset's order.
 */
export function harnessFewshotIndices(options: {
  readonly docs: number;
  readonly poolSize: number;
  readonly shots: number;
  readonly seed?: number;
}): number[][] {
  const { docs, poolSize, shots, seed = HARNESS_FEWSHOT_SEED } = options;
  if (shots > poolSize) throw new RangeError(`harnessFewshotIndices: ${shots} shots from a pool of ${poolSize}`);
  // No draw at all for zero shots: fewshot_context only calls the sampler when num_fewshot > 0.
  if (shots === 0) return Array.from({ length: docs }, () => []);
  const rnd = new PythonRandom(seed);
  return Array.from({ length: docs }, () => rnd.sample(poolSize, shots));
}
