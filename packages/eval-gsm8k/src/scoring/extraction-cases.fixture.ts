/**
 * Tricky completions with the answers lm-evaluation-harness extracts from them and whether each
 * scores, worked out from the harness's rules (see regex-filter.ts, exact-match.ts) and confirmed
 * against the harness's own RegexFilter and exact_match_hf_evaluate by scripts/harness-oracle.py.
 *
 * Rules in brief. strict (gsm8k-cot): `The answer is (-?[0-9.,]+).` where the final `.` is ANY
 * character except "\n", first match. strict (gsm8k): `#### (-?[0-9.,]+)`, first match.
 * flexible: `(-?[$0-9.,]{2,})|(-?[0-9]+)`, LAST match, its first non-empty group. No match:
 * "[invalid]". Then remove `,`, `$`, up to the last "#### ", one final `.`, lower-case, compare.
 */
export interface ExtractionCase {
  readonly completion: string;
  readonly target: string;
  readonly strict: string;
  readonly flexible: string;
  readonly strictCorrect: boolean;
  readonly flexibleCorrect: boolean;
  readonly why: string;
}

export const COT_CASES: readonly ExtractionCase[] = [
  {
    completion: ' There are 15 trees originally. Then there were 21 trees. So 21 - 15 = 6. The answer is 6.',
    target: '6', strict: '6', flexible: '6.', strictCorrect: true, flexibleCorrect: true,
    why: 'canonical: strict group backs off "6." so the final `.` can take the dot; flexible ends on "6." (2 chars), whose dot normalisation drops',
  },
  {
    completion: 'The answer is 1,000.', target: '1000', strict: '1,000', flexible: '1,000.', strictCorrect: true, flexibleCorrect: true,
    why: 'thousands comma: kept by both regexes, removed by normalisation',
  },
  {
    completion: 'The answer is $18.', target: '18', strict: '[invalid]', flexible: '$18.', strictCorrect: false, flexibleCorrect: true,
    why: 'dollar sign: strict\'s class has no `$`, so no match; flexible\'s has, and `$` is normalised away',
  },
  {
    completion: 'The answer is 72', target: '72', strict: '7', flexible: '72', strictCorrect: false, flexibleCorrect: true,
    why: 'number at the very end: strict\'s final `.` needs a character, so the group backs off to "7" and `.` eats "2"',
  },
  {
    completion: 'The answer is 72\n', target: '72', strict: '7', flexible: '72', strictCorrect: false, flexibleCorrect: true,
    why: 'newline after the number: `.` does not match "\\n", same back-off to "7"',
  },
  {
    completion: 'The answer is 72\r\n', target: '72', strict: '72', flexible: '72', strictCorrect: true, flexibleCorrect: true,
    why: 'CRLF: Python\'s `.` matches "\\r" (JavaScript\'s would not; the port uses [^\\n])',
  },
  {
    completion: 'The answer is 72 apples.', target: '72', strict: '72', flexible: '72', strictCorrect: true, flexibleCorrect: true,
    why: 'unit after the number: `.` takes the space; the lone final "." is neither 2 class chars nor digits',
  },
  {
    completion: 'The temperature fell to -10 degrees. The answer is -10.', target: '-10', strict: '-10', flexible: '-10.', strictCorrect: true, flexibleCorrect: true,
    why: 'negative number: both patterns allow a leading "-"',
  },
  {
    completion: 'He has 10 - 3 = 7 left. The answer is 7.', target: '7', strict: '7', flexible: '7.', strictCorrect: true, flexibleCorrect: true,
    why: 'a spaced minus is not a sign: "- 3" never matches as -3; last match is "7."',
  },
  {
    completion: 'So 5-3 = 2.', target: '2', strict: '[invalid]', flexible: '2.', strictCorrect: false, flexibleCorrect: true,
    why: 'no "The answer is": strict invalid; "5-3" yields "5" then "-3" but the last match is "2."',
  },
  {
    completion: 'So 12 - 5 = 7 and then -7', target: '-7', strict: '[invalid]', flexible: '-7', strictCorrect: false, flexibleCorrect: true,
    why: 'negative at the end: "-7" is 1 class char after "-", so group 1 fails and group 2 (-?[0-9]+) matches "-7"',
  },
  {
    completion: 'The answer is 3.5.', target: '3.5', strict: '3.5', flexible: '3.5.', strictCorrect: true, flexibleCorrect: true,
    why: 'decimal: the group backs off "3.5." to "3.5"; flexible keeps the dot, normalisation drops one final "."',
  },
  {
    completion: 'The answer is 0.5 hours.', target: '0.5', strict: '0.5', flexible: '0.5', strictCorrect: true, flexibleCorrect: true,
    why: 'decimal followed by a word',
  },
  {
    completion: 'The answer is 5.00.', target: '5', strict: '5.00', flexible: '5.00.', strictCorrect: false, flexibleCorrect: false,
    why: 'trailing zeros: these tasks have no `\\.0+$` rule, so "5.00" is not "5"',
  },
  {
    completion: 'The answer is 5.0', target: '5', strict: '5.', flexible: '5.0', strictCorrect: true, flexibleCorrect: false,
    why: 'at the end: strict backs off to "5." (`.` eats "0") and normalisation drops the dot, so strict scores; flexible "5.0" does not',
  },
  {
    completion: 'the answer is 8.', target: '8', strict: '[invalid]', flexible: '8.', strictCorrect: false, flexibleCorrect: true,
    why: 'lower-case "the": the regex is case-sensitive (ignore_case applies to the comparison only)',
  },
  {
    completion: 'The answer is: 8.', target: '8', strict: '[invalid]', flexible: '8.', strictCorrect: false, flexibleCorrect: true,
    why: 'colon after "is": strict needs "is " directly followed by the number',
  },
  {
    completion: 'The final answer is 42.', target: '42', strict: '[invalid]', flexible: '42.', strictCorrect: false, flexibleCorrect: true,
    why: '"final answer is" does not contain "The answer is"',
  },
  {
    completion: 'So the answer is 42.', target: '42', strict: '[invalid]', flexible: '42.', strictCorrect: false, flexibleCorrect: true,
    why: 'mid-sentence "the answer is": case-sensitive miss again',
  },
  {
    completion: 'The answer is 12. Wait, no. The answer is 13.', target: '13', strict: '12.', flexible: '13.', strictCorrect: false, flexibleCorrect: true,
    why: 'two answers: strict takes the FIRST match (group "12." since `.` takes the space), flexible the LAST',
  },
  {
    completion: 'The answer is 18.\n\nQuestion 2: In 2023 there were 4 cats.', target: '18', strict: '18', flexible: '4', strictCorrect: true, flexibleCorrect: false,
    why: 'rambling past the answer: flexible takes the last number ("4"); why stop sequences matter',
  },
  {
    completion: "I don't know.", target: '5', strict: '[invalid]', flexible: '[invalid]', strictCorrect: false, flexibleCorrect: false,
    why: 'no number at all: both filters fall back to "[invalid]"',
  },
  {
    completion: '', target: '5', strict: '[invalid]', flexible: '[invalid]', strictCorrect: false, flexibleCorrect: false,
    why: 'empty completion',
  },
  {
    completion: 'It is 7', target: '7', strict: '[invalid]', flexible: '7', strictCorrect: false, flexibleCorrect: true,
    why: 'a single digit: too short for group 1 ({2,}), matched by group 2',
  },
  {
    completion: 'The answer is 1,234, which is a lot', target: '1234', strict: '1,234,', flexible: '1,234,', strictCorrect: true, flexibleCorrect: true,
    why: 'trailing comma: captured by both, removed by normalisation',
  },
  {
    completion: 'She paid $1,234.50 in total.', target: '1234.5', strict: '[invalid]', flexible: '$1,234.50', strictCorrect: false, flexibleCorrect: false,
    why: 'cents: "1234.50" is not "1234.5" (no numeric comparison)',
  },
  {
    completion: 'The answer is .5.', target: '0.5', strict: '.5', flexible: '.5.', strictCorrect: false, flexibleCorrect: false,
    why: 'leading dot: ".5" is not "0.5"',
  },
  {
    completion: 'The answer is 25%.', target: '25', strict: '25', flexible: '25', strictCorrect: true, flexibleCorrect: true,
    why: 'percent sign: strict\'s `.` takes "%"; flexible stops at "%", the final "." alone does not match',
  },
  {
    completion: 'She sold 5x3=15 cups', target: '15', strict: '[invalid]', flexible: '15', strictCorrect: false, flexibleCorrect: true,
    why: 'numbers glued to operators: "5", "3", then "15"; the last wins',
  },
  {
    completion: 'She earns $10.50 per hour, so $21.', target: '21', strict: '[invalid]', flexible: '$21.', strictCorrect: false, flexibleCorrect: true,
    why: 'several dollar amounts: the last one, "$" and "." normalised away',
  },
  {
    completion: 'The answer is 7...', target: '7', strict: '7..', flexible: '7...', strictCorrect: false, flexibleCorrect: false,
    why: 'ellipsis: normalisation removes only ONE final dot ("7.." -> "7.", "7..." -> "7..")',
  },
  {
    completion: 'The answer is 6.\n', target: '6', strict: '6', flexible: '6.', strictCorrect: true, flexibleCorrect: true,
    why: 'dot then newline: `.` cannot take "\\n", so the group backs off and `.` takes the dot',
  },
  {
    completion: 'The answer is -$5.', target: '-5', strict: '[invalid]', flexible: '-$5.', strictCorrect: false, flexibleCorrect: true,
    why: 'negative dollars: strict fails on "$"; flexible "-$5." normalises to "-5"',
  },
  {
    completion: 'The answer is 1 000.', target: '1000', strict: '1', flexible: '000.', strictCorrect: false, flexibleCorrect: false,
    why: 'space as thousands separator: strict stops at "1", flexible takes "000."',
  },
  {
    completion: 'The answer is \u22125.', target: '-5', strict: '[invalid]', flexible: '5.', strictCorrect: false, flexibleCorrect: false,
    why: 'Unicode minus sign (U+2212) is not "-": no strict match, flexible finds "5." without its sign',
  },
  {
    completion: 'The answer is 2,125.', target: '2,125', strict: '2,125', flexible: '2,125.', strictCorrect: true, flexibleCorrect: true,
    why: 'target with a comma (GSM8K test has some, e.g. "#### 2,125"): normalised on both sides',
  },
  {
    completion: 'The answer is 18.', target: 'Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n#### 18', strict: '18', flexible: '18.', strictCorrect: true, flexibleCorrect: true,
    why: 'full GSM8K answer as target: `(?s).*#### ` strips everything through the last "#### "',
  },
];

export const PLAIN_CASES: readonly ExtractionCase[] = [
  {
    completion: ' Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nAltogether 48+24 = <<48+24=72>>72 clips.\n#### 72', target: '... #### 72', strict: '72', flexible: '72', strictCorrect: true, flexibleCorrect: true,
    why: 'canonical gsm8k answer; target is the full answer, reduced to "72" by normalisation',
  },
  {
    completion: 'So she has 1,000 left.\n#### 1,000', target: '#### 1000', strict: '1,000', flexible: '1,000', strictCorrect: true, flexibleCorrect: true,
    why: 'comma in the #### number',
  },
  {
    completion: '#### $5', target: '#### 5', strict: '[invalid]', flexible: '$5', strictCorrect: false, flexibleCorrect: true,
    why: '"$" after "#### " defeats strict',
  },
  {
    completion: 'The answer is 72.', target: '#### 72', strict: '[invalid]', flexible: '72.', strictCorrect: false, flexibleCorrect: true,
    why: 'cot-style answer under the gsm8k task: no "#### "',
  },
  {
    completion: '#### 5\n#### 6', target: '#### 6', strict: '5', flexible: '6', strictCorrect: false, flexibleCorrect: true,
    why: 'two final lines: strict first, flexible last',
  },
  {
    completion: '####72', target: '#### 72', strict: '[invalid]', flexible: '72', strictCorrect: false, flexibleCorrect: true,
    why: 'no space after ####',
  },
  {
    completion: '#### -10.', target: '#### -10', strict: '-10.', flexible: '-10.', strictCorrect: true, flexibleCorrect: true,
    why: 'negative with a final dot (no `.` after the group in this pattern, so the dot stays in the group)',
  },
  {
    completion: 'Total is <<2*3=6>>6.\n#### 6 dollars', target: 'x\n#### 6', strict: '6', flexible: '6', strictCorrect: true, flexibleCorrect: true,
    why: 'calculator annotations and trailing words',
  },
];
