/**
 * Aggregation of per-sample scores, as the harness does it (lm_eval/api/metrics.py):
 *
 * ```python
 * def mean(arr): return sum(arr) / len(arr)
 * def sample_stddev(arr):
 *     mu = mean(arr)
 *     return math.sqrt(sum([(x - mu) ** 2 for x in arr]) / (len(arr) - 1))
 * def mean_stderr(arr): return sample_stddev(arr) / math.sqrt(len(arr))
 * ```
 *
 * Sums run left to right like Python's `sum`, so for the same order of samples the floats agree to
 * the last bit. The harness reports the stderr as "N/A" for fewer than two samples; here that is
 * `null`.
 */
export interface Accuracy {
  /** Fraction correct, 0..1 (the harness reports fractions; tables show percent). */
  readonly accuracy: number;
  /** The harness's `mean_stderr`, or null for n < 2. */
  readonly stderr: number | null;
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function meanStderr(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const mu = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - mu) * (v - mu);
  return Math.sqrt(squares / (values.length - 1)) / Math.sqrt(values.length);
}

/** Accuracy of 0/1 outcomes; NaN accuracy for no samples (nothing to report, not 0 %). */
export function accuracyOf(correct: readonly boolean[]): Accuracy {
  const values = correct.map((c) => (c ? 1 : 0));
  return { accuracy: values.length === 0 ? Number.NaN : mean(values), stderr: meanStderr(values) };
}
