import { hasStrictMatches } from './chart-svg.js';
import { escapeXml } from './escape.js';
import { formatRate, formatSteps, type Gsm8kReport, percent, percentWithStderr } from './report.js';

/**
 * A self-contained HTML page (no scripts, no external assets) with the chart inline and the
 * results table, for opening from disk or attaching to a run.
 */
export function renderReportHtml(report: Gsm8kReport, chartSvg: string): string {
  const title = `GSM8K (${report.variant ?? `${report.task}, ${report.shots}-shot${report.cue ? ', step-by-step cue' : ''}`}): ${report.model}`;
  // a strict-match column that is 0 everywhere (answers never say "The answer is N.") carries nothing
  const strict = hasStrictMatches(report.results);
  const rows = report.results
    .map(
      (r) =>
        `<tr><td>${r.recurrence}</td><td>${r.n}</td>${strict ? `<td>${percentWithStderr(r.strict, r.strict_stderr)}</td>` : ''}<td><strong>${percentWithStderr(r.flexible, r.stderr)}</strong></td><td>${formatRate(r.tokens_per_s)}</td><td>${formatSteps(r.mean_steps)}</td></tr>`,
    )
    .join('\n');
  const baseline = report.static_baseline === undefined ? '' : `<p>Static baseline (flexible-extract): ${percent(report.static_baseline)}%</p>\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 52rem; color: #222; padding: 0 1rem; }
table { border-collapse: collapse; margin-top: 1rem; }
th, td { padding: 0.3rem 0.8rem; text-align: right; border-bottom: 1px solid #ddd; font-variant-numeric: tabular-nums; }
th { border-bottom: 2px solid #999; }
.note { color: #555; font-size: 0.9rem; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
${chartSvg.trim()}
${baseline}<table>
<thead><tr><th>r</th><th>n</th>${strict ? '<th>strict-match %</th>' : ''}<th>flexible-extract %</th><th>tokens/s</th><th>mean steps</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="note">Accuracy in percent ± one standard error (lm-evaluation-harness mean_stderr).${strict ? '' : ' strict-match ("The answer is N.") is 0 for every recurrence and left out.'} Scoring follows the harness's ${escapeXml(report.task === 'gsm8k' ? 'gsm8k' : 'gsm8k_cot')} task: exact match after removing commas, "$", everything up to "#### " and a trailing ".", ignoring case.</p>
</body>
</html>
`;
}
