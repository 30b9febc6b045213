import { formatRate, formatSteps, type Gsm8kReport, percentWithStderr } from './report.js';

/**
 * The sweep as a Markdown table (what `rr eval gsm8k` prints on stdout), accuracy in percent with
 * its standard error:
 *
 * | r | n | strict-match | flexible-extract | tokens/s | mean steps |
 * |---:|---:|---:|---:|---:|---:|
 * | 1 | 50 | 4.0 ± 2.8 | 10.0 ± 4.3 | 812 | 1.00 |
 */
export function renderMarkdownTable(report: Pick<Gsm8kReport, 'results' | 'static_baseline' | 'variant'>): string {
  const lines = [
    ...(report.variant ? [`GSM8K variant: ${report.variant}`, ''] : []),
    '| r | n | strict-match | flexible-extract | tokens/s | mean steps |',
    '|---:|---:|---:|---:|---:|---:|',
    ...report.results.map(
      (r) =>
        `| ${r.recurrence} | ${r.n} | ${percentWithStderr(r.strict, r.strict_stderr)} | ${percentWithStderr(r.flexible, r.stderr)} | ${formatRate(r.tokens_per_s)} | ${formatSteps(r.mean_steps)} |`,
    ),
  ];
  if (report.static_baseline !== undefined) {
    lines.push('', `Static baseline (flexible-extract): ${percentWithStderr(report.static_baseline, null)}`);
  }
  return `${lines.join('\n')}\n`;
}
