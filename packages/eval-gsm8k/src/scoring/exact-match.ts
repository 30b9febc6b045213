/**
 * The harness's `exact_match` metric with the settings both GSM8K tasks use
 * (lm_eval/api/metrics.py `exact_match_hf_evaluate`, ported from HF evaluate):
 *
 * ```yaml
 * ignore_case: true
 * ignore_punctuation: false
 * regexes_to_ignore: [',', '\$', '(?s).*#### ', '\.$']
 * ```
 *
 * Each regex is removed (`re.sub(s, "", x)`, every occurrence) from prediction and reference in
 * that order, then both are lower-cased and compared. The order matters: "#### 1,000." loses the
 * comma first, then the prefix, then the final dot, and becomes "1000".
 */
const REGEXES_TO_IGNORE: readonly { readonly python: string; readonly pattern: RegExp; readonly remove?: (s: string) => string }[] = [
  { python: ',', pattern: /,/g },
  { python: '\\$', pattern: /\$/g },
  // (?s) makes `.` match newlines, so everything up to the LAST "#### " goes (`.*` is greedy).
  // Run as a regex it retries from every position when "#### " is absent: quadratic, minutes on
  // a long completion. `remove` does the same substitution with one lastIndexOf.
  { python: '(?s).*#### ', pattern: /[\s\S]*#### /g, remove: afterLastMarker },
  // Python's `$` (no MULTILINE) also matches just before a final "\n"; JavaScript's does not.
  { python: '\\.$', pattern: /\.(?=\n?$)/g },
];

/** The regexes as the task YAML writes them, for reports. */
export const IGNORED_REGEXES: readonly string[] = REGEXES_TO_IGNORE.map((r) => r.python);

/**
 * What exact match compares: `s` after the harness's normalisation. Between the substitutions the
 * harness packs the strings into a NumPy unicode array, which silently drops trailing NUL
 * characters; that is reproduced too, so the two agree on every input.
 */
export function normalizeForExactMatch(s: string): string {
  let out = s;
  for (const { pattern, remove } of REGEXES_TO_IGNORE) out = dropTrailingNul(remove ? remove(out) : out.replace(pattern, ''));
  // np.char.lower applies Python's str.lower, which agrees with toLowerCase outside a few
  // locale-specific letters (toLowerCase is locale-independent too).
  return out.toLowerCase();
}

/** `exact_match` for one prediction/reference pair. */
export function exactMatch(prediction: string, reference: string): boolean {
  return normalizeForExactMatch(prediction) === normalizeForExactMatch(reference);
}

/** `(?s).*#### ` removed: everything up to and including the last "#### ", or nothing without one. */
function afterLastMarker(s: string): string {
  const at = s.lastIndexOf('#### ');
  return at < 0 ? s : s.slice(at + 5);
}

/** `s` without its trailing NULs (a loop, not /\0+$/, which is quadratic on long NUL runs inside s). */
function dropTrailingNul(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0) end--;
  return end === s.length ? s : s.slice(0, end);
}
