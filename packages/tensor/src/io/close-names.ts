/**
 * "Did you mean" support for missing-tensor errors: checkpoint names differ from what a loader
 * expects by a prefix ("model."), a renamed module or a typo, and seeing the nearest real names
 * fixes that faster than any description.
 */

/** Levenshtein distance, giving up (returning `limit + 1`) once it must exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      row.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length];
}

/**
 * Up to `count` names from `candidates` closest to `name`: names that contain it or are contained
 * in it first (a missing or extra prefix), then by edit distance, dropping those that differ in
 * more than about a third of their characters.
 */
export function closeNames(name: string, candidates: Iterable<string>, count = 3): string[] {
  const limit = Math.max(2, Math.ceil(name.length / 3));
  const scored: { candidate: string; score: number }[] = [];
  for (const candidate of candidates) {
    if (candidate.includes(name) || name.includes(candidate)) {
      scored.push({ candidate, score: -1 / Math.max(1, Math.abs(candidate.length - name.length)) });
      continue;
    }
    const d = editDistance(name, candidate, limit);
    if (d <= limit) scored.push({ candidate, score: d });
  }
  return scored
    .sort((x, y) => x.score - y.score || (x.candidate < y.candidate ? -1 : 1))
    .slice(0, count)
    .map((s) => s.candidate);
}

/** The sentence a missing-name error ends with: close names if any, else a sample of what exists. */
export function describeAlternatives(name: string, available: readonly string[]): string {
  if (available.length === 0) return 'It contains no tensors.';
  const close = closeNames(name, available);
  if (close.length > 0) return `Did you mean ${close.map((c) => JSON.stringify(c)).join(', ')}?`;
  const sample = available
    .slice(0, 3)
    .map((c) => JSON.stringify(c))
    .join(', ');
  return `It has ${available.length} tensors, e.g. ${sample}${available.length > 3 ? ', ...' : ''}.`;
}
