/**
 * Index arithmetic in f32 is exact only below 2^24: past that, f32(16777217) is 16777216 and a
 * kernel silently reads its neighbour's element. gpu.js keeps a variable initialised from an
 * integer (`const i = this.thread.x`) in an f32 ("int-typed initializers decay to float
 * declarations") and indexes with i32(that f32). These two passes over its WGSL make the common
 * case exact and find the rest:
 *
 * - `keepIndicesInIntegers`: a decayed variable that is never assigned again gets an i32 twin
 *   holding the same integer expression, and every `i32(var)` (gpu.js's index cast) reads the twin.
 * - `findFloatIndices`: the arrays still indexed through an f32 value (an f32 variable or
 *   parameter, a float literal, an f32 conversion, a function result, another array's element).
 */
export function keepIndicesInIntegers(wgsl: string): string {
  let out = wgsl;
  for (const m of wgsl.matchAll(/var user_(\w+) : f32 = f32\(/g)) {
    const name = m[1]!;
    // a name declared twice (in two blocks) is left alone: one twin per name, or none
    if (wgsl.split(`var user_${name} :`).length > 2) continue;
    const declStart = out.indexOf(m[0]);
    const exprStart = declStart + m[0].length;
    const exprEnd = closingParen(out, exprStart - 1);
    if (exprEnd < 0 || out[exprEnd + 1] !== ';') continue;
    const after = out.slice(exprEnd + 2);
    const assigned = new RegExp(`\\buser_${name}\\s*(=(?!=)|\\+=|-=|\\*=|/=|%=|\\+\\+|--)`).test(after);
    if (assigned) continue;
    const twin = `rr_int_${name}`;
    out = `${out.slice(0, exprEnd + 2)}\nlet ${twin} : i32 = ${out.slice(exprStart, exprEnd)};${after.replaceAll(`i32(user_${name})`, twin)}`;
  }
  return out;
}

export function findFloatIndices(wgsl: string): string[] {
  const floatNames = new Set([...wgsl.matchAll(/var user_(\w+) : f32\b/g)].map((m) => `user_${m[1]}`));
  for (const m of wgsl.matchAll(/^\s*user_(\w+) : f32,?$/gm)) floatNames.add(`params.user_${m[1]}`);
  const found = new Set<string>();
  const body = wgsl.slice(wgsl.indexOf('fn main('));
  for (const m of body.matchAll(/\bget_user_(\w+)\(/g)) {
    const open = m.index + m[0].length - 1;
    const close = closingParen(body, open);
    if (close < 0 || isFloat(body.slice(open + 1, close), floatNames)) found.add(m[1]!);
  }
  return [...found];
}

function isFloat(expression: string, floatNames: ReadonlySet<string>): boolean {
  if (/\bf32\(|\bget_user_|\bfn_|\b\d+\.\d*|\.\d+\b/.test(expression)) return true;
  for (const m of expression.matchAll(/\b(?:params\.)?user_\w+/g)) if (floatNames.has(m[0])) return true;
  return false;
}

/** Index of the `)` that closes the `(` at `open`, or -1. */
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i;
  }
  return -1;
}
