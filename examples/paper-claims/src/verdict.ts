/** Mean and (sample) standard deviation over seeds. */
export interface Summary {
  readonly mean: number;
  readonly std: number;
  readonly values: readonly number[];
}

export function summarize(values: readonly number[]): Summary {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std, values };
}

export type Verdict = 'holds' | 'does not hold' | 'inconclusive';

/**
 * A claim that `a` is larger than `b`: holds when mean - std of `a` lies above mean + std of `b`,
 * does not hold when the reverse, and is inconclusive when the mean ± std intervals overlap.
 */
export function greaterThan(a: Summary, b: Summary): Verdict {
  if (a.mean - a.std > b.mean + b.std) return 'holds';
  if (a.mean + a.std < b.mean - b.std) return 'does not hold';
  return 'inconclusive';
}
