/**
 * The one piece of Python string behaviour the harness leans on that JavaScript spells differently:
 * `str.strip()` with no argument. Python strips the characters for which `str.isspace()` is true;
 * JavaScript's `trim()` uses a different set (it adds U+FEFF and lacks U+001C..U+001F and U+0085).
 * GSM8K never contains those, but exactness here costs one regex.
 */
const PY_WHITESPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

/**
 * Python's `s.strip()`. A scan from each end rather than `/[...]+$/`: that regex retries at every
 * whitespace run inside the string, quadratic on long runs.
 */
export function pythonStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_WHITESPACE.test(s[start]!)) start++;
  while (end > start && PY_WHITESPACE.test(s[end - 1]!)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
