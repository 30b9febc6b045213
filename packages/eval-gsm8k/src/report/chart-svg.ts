import type { RecurrenceResult } from './aggregate.js';
import { escapeXml } from './escape.js';

export interface ChartOptions {
  /** Heading and accessible title. */
  readonly title: string;
  /** Static model's accuracy (0..1), drawn as a horizontal reference line. */
  readonly staticBaseline?: number;
}

const WIDTH = 640;
const PLOT_HEIGHT = 400 - 64 - 56;
const MARGIN_BASE = { right: 92, bottom: 56, left: 64 };
const PLOT_W = WIDTH - MARGIN_BASE.left - MARGIN_BASE.right;
const PLOT_H = PLOT_HEIGHT;
/** Characters of a 15 px bold title line that fit the chart's width (about 8 px each). */
const TITLE_CHARS = Math.floor((WIDTH - 2 * MARGIN_BASE.left + 40) / 8.2);
const COLORS = { flexible: '#1f5fa8', strict: '#d9730d', baseline: '#6b6b6b', grid: '#e3e3e3', axis: '#333333' };

/** Splits a title into lines that fit the chart, at spaces, so it is never cut off. */
export function wrapTitle(title: string, chars = TITLE_CHARS): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of title.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > chars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/** strict-match carries information only where some answer used "The answer is N."; else it is a line at 0. */
export function hasStrictMatches(results: readonly RecurrenceResult[]): boolean {
  return results.some((r) => r.strict > 0);
}

/**
 * Accuracy versus recurrence as a standalone SVG: flexible-extract (solid, the headline) and
 * strict-match (dashed, left out when it is 0 everywhere), each point with a ±1 stderr bar, on a
 * log2 recurrence axis (the sweep doubles r, so the points are evenly spaced), with an optional
 * static-baseline line. A long title wraps onto more lines and the chart grows to fit it.
 * Hand-written rather than a chart library: one plot type, no runtime dependency, and the output is
 * deterministic, so it can be diffed and pinned in tests.
 */
export function renderAccuracyChart(results: readonly RecurrenceResult[], options: ChartOptions): string {
  const rows = [...results].sort((a, b) => a.recurrence - b.recurrence);
  const strict = hasStrictMatches(rows);
  const titleLines = wrapTitle(options.title);
  const MARGIN = { ...MARGIN_BASE, top: 64 + (titleLines.length - 1) * 19 };
  const HEIGHT = MARGIN.top + PLOT_H + MARGIN.bottom;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<title id="chart-title">${escapeXml(options.title)}</title>`,
    `<desc id="chart-desc">${escapeXml(describe(rows, options.staticBaseline))}</desc>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    ...titleLines.map(
      (line, i) => `<text x="${MARGIN.left}" y="${24 + i * 19}" font-size="15" font-weight="600" fill="${COLORS.axis}">${escapeXml(line)}</text>`,
    ),
  );
  if (rows.length === 0) {
    parts.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="${COLORS.baseline}">no results yet</text>`, '</svg>');
    return `${parts.join('\n')}\n`;
  }

  // x: log2(r); a single recurrence gets a unit-wide domain so it sits in the middle.
  const logs = rows.map((r) => Math.log2(r.recurrence));
  let [x0, x1] = [Math.min(...logs), Math.max(...logs)];
  if (x1 === x0) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  const pad = (x1 - x0) * 0.06;
  const x = (r: number): number => MARGIN.left + ((Math.log2(r) - x0 + pad) / (x1 - x0 + 2 * pad)) * PLOT_W;

  // y: percent from 0 to a round number above every bar top and the baseline.
  const tops = rows.flatMap((r) => [r.flexible + (r.stderr ?? 0), ...(strict ? [r.strict + (r.strict_stderr ?? 0)] : [])]);
  if (options.staticBaseline !== undefined) tops.push(options.staticBaseline);
  const step = yStep(Math.max(...tops) * 100);
  const yMax = Math.min(100, Math.max(step, Math.ceil((Math.max(...tops) * 100) / step) * step));
  const y = (fraction: number): number => MARGIN.top + PLOT_H - (Math.min(fraction * 100, yMax) / yMax) * PLOT_H;

  for (let v = 0; v <= yMax + 1e-9; v += step) {
    const py = fmt(y(v / 100));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${py}" y2="${py}" stroke="${COLORS.grid}"/>`,
      `<text x="${MARGIN.left - 8}" y="${py}" dy="0.32em" text-anchor="end" fill="${COLORS.axis}">${v}</text>`,
    );
  }
  for (const r of rows) {
    const px = fmt(x(r.recurrence));
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H + 5}" stroke="${COLORS.axis}"/>`,
      `<text x="${px}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle" fill="${COLORS.axis}">${r.recurrence}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}" stroke="${COLORS.axis}"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_H}" stroke="${COLORS.axis}"/>`,
    `<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 14}" text-anchor="middle" fill="${COLORS.axis}">recurrence r (log2 scale)</text>`,
    `<text transform="translate(18 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" fill="${COLORS.axis}">GSM8K accuracy (%)</text>`,
  );

  if (options.staticBaseline !== undefined) {
    const py = fmt(y(options.staticBaseline));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${py}" y2="${py}" stroke="${COLORS.baseline}" stroke-width="1.5" stroke-dasharray="2 4"/>`,
      `<text x="${MARGIN.left + PLOT_W + 6}" y="${py}" dy="0.32em" fill="${COLORS.baseline}">static ${(options.staticBaseline * 100).toFixed(1)}%</text>`,
    );
  }
  if (strict) parts.push(...series(rows, 'strict', COLORS.strict, '6 4', x, y));
  parts.push(...series(rows, 'flexible', COLORS.flexible, undefined, x, y));

  // The legend sits in a row under the title, clear of the data and of the baseline label.
  const legendY = MARGIN.top - 18;
  parts.push(...legendEntry(MARGIN.left, legendY, COLORS.flexible, undefined, 'flexible-extract'));
  if (strict) parts.push(...legendEntry(MARGIN.left + 140, legendY, COLORS.strict, '6 4', 'strict-match'));
  if (options.staticBaseline !== undefined) parts.push(...legendEntry(MARGIN.left + (strict ? 260 : 140), legendY, COLORS.baseline, '2 4', 'static baseline'));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function series(
  rows: readonly RecurrenceResult[],
  metric: 'flexible' | 'strict',
  color: string,
  dash: string | undefined,
  x: (r: number) => number,
  y: (fraction: number) => number,
): string[] {
  const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
  const points = rows.map((r) => `${fmt(x(r.recurrence))},${fmt(y(r[metric]))}`).join(' ');
  const out = [`<polyline fill="none" stroke="${color}" stroke-width="2"${dashAttr} points="${points}"/>`];
  for (const r of rows) {
    const stderr = metric === 'flexible' ? r.stderr : r.strict_stderr;
    const px = fmt(x(r.recurrence));
    if (stderr !== null && stderr > 0) {
      const lo = fmt(y(Math.max(0, r[metric] - stderr)));
      const hi = fmt(y(r[metric] + stderr));
      out.push(`<line x1="${px}" x2="${px}" y1="${lo}" y2="${hi}" stroke="${color}" stroke-width="1.2"/>`);
    }
    out.push(
      `<circle cx="${px}" cy="${fmt(y(r[metric]))}" r="3.5" fill="${color}"><title>r=${r.recurrence} ${metric}: ${(r[metric] * 100).toFixed(1)}%${stderr !== null ? ` ± ${(stderr * 100).toFixed(1)}` : ''} (n=${r.n})</title></circle>`,
    );
  }
  return out;
}

function legendEntry(x: number, y: number, color: string, dash: string | undefined, label: string): string[] {
  const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
  return [
    `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dashAttr}/>`,
    `<text x="${x + 28}" y="${y}" dy="0.32em" fill="${COLORS.axis}">${label}</text>`,
  ];
}

/** Gridline spacing in percentage points for a plot topping out near `maxPercent`. */
function yStep(maxPercent: number): number {
  if (maxPercent <= 10) return 2;
  if (maxPercent <= 25) return 5;
  return 10;
}

function describe(rows: readonly RecurrenceResult[], baseline: number | undefined): string {
  const points = rows.map((r) => `r=${r.recurrence}: ${(r.flexible * 100).toFixed(1)}%`).join(', ');
  const base = baseline === undefined ? '' : `; static baseline ${(baseline * 100).toFixed(1)}%`;
  return `Flexible-extract accuracy by recurrence: ${points || 'none'}${base}.`;
}

/** Two decimals: enough for a 640-pixel chart, and stable text for diffs. */
function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}
