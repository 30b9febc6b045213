/**
 * Cuts a completion at its first stop sequence, as the harness does after generation
 * (lm_eval/models/utils.py `postprocess_generated_text`):
 *
 * ```python
 * for term in stop:
 *     if len(term) > 0:
 *         generation = generation.split(term)[0]
 * ```
 *
 * Splitting by each term in turn leaves the text before the earliest occurrence of any of them.
 * Empty terms are ignored. Idempotent, so re-scoring already-truncated text is safe.
 */
export function truncateAtStop(text: string, stop: readonly string[]): string {
  let out = text;
  for (const term of stop) {
    if (term.length === 0) continue;
    const at = out.indexOf(term);
    if (at >= 0) out = out.slice(0, at);
  }
  return out;
}
