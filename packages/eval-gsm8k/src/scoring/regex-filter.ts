import { pythonStrip } from '../python-str.js';

/** What the harness's RegexFilter returns when the pattern does not match. */
export const INVALID = '[invalid]';

/**
 * One `function: regex` filter of a harness task: lm_eval/filters/extraction.py `RegexFilter`.
 *
 * `python` is the pattern as the task YAML writes it (kept for reports and for review against the
 * harness); `pattern` is the same pattern in JavaScript syntax, with the `g` flag for `matchAll`.
 * The translations are exact for these patterns: `[0-9]` is ASCII in both engines, `$` inside a
 * character class is literal in both, and Python's `.` (no DOTALL) excludes only `\n` where
 * JavaScript's also excludes `\r`, U+2028 and U+2029, so Python's `.` is written `[^\n]`.
 */
export interface RegexFilterSpec {
  readonly python: string;
  readonly pattern: RegExp;
  /** Which match `findall` keeps: 0 = the first, -1 = the last (Python list indexing). */
  readonly groupSelect: number;
}

/**
 * The harness's RegexFilter on one response:
 *
 * ```python
 * match = self.regex.findall(resp)
 * if match:
 *     match = match[self.group_select]
 *     if isinstance(match, tuple):               # the pattern has several groups
 *         match = [m for m in match if m]
 *         match = match[0] if match else self.fallback
 *     match = match.strip()
 * else:
 *     match = self.fallback
 * ```
 *
 * `findall` returns the whole match for a pattern without groups, the group's text for one group
 * ('' if it did not take part) and a tuple for several; `matchAll` scans the same way (leftmost,
 * non-overlapping; none of these patterns can match the empty string, where the two differ).
 */
export function applyRegexFilter(spec: RegexFilterSpec, response: string): string {
  // Only the selected match is kept (the first n, or a window of the last n): a long completion can
  // hold millions of matches, and collecting them all would cost memory for nothing.
  const keep = spec.groupSelect < 0 ? -spec.groupSelect : spec.groupSelect + 1;
  const window: RegExpExecArray[] = [];
  let count = 0;
  for (const m of response.matchAll(spec.pattern)) {
    count++;
    window.push(m);
    if (spec.groupSelect >= 0 && window.length === keep) break;
    if (window.length > keep) window.shift();
  }
  if (count === 0) return INVALID;
  const match = window.length === keep ? (spec.groupSelect < 0 ? window[0] : window[keep - 1]) : undefined;
  if (match === undefined) {
    // Python would raise IndexError; only a misconfigured spec gets here, never a response.
    throw new RangeError(`group_select ${spec.groupSelect} is out of range for ${count} matches`);
  }
  const groups = match.slice(1);
  let selected: string;
  if (groups.length === 0) selected = match[0];
  else if (groups.length === 1) selected = groups[0] ?? '';
  else selected = groups.find((g) => g !== undefined && g !== '') ?? INVALID;
  return pythonStrip(selected);
}
