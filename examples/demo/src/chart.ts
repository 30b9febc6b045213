/**
 * A small SVG line chart for the demo's and the claims suite's reports: series of (x, y) points,
 * optional error bars, horizontal reference lines, a title that wraps instead of being cut off,
 * and a legend under it. Self-contained SVG (no scripts, no external fonts), so it opens anywhere.
 */
export interface Series {
  readonly label: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly err?: number }[];
  /** Dashed line (e.g. a baseline trained differently). */
  readonly dashed?: boolean;
  /** Draw the points only (per-seed scatter). */
  readonly pointsOnly?: boolean;
  readonly color?: string;
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Horizontal lines across the plot (a static model's or a heuristic's accuracy). */
  readonly hlines?: readonly { readonly label: string; readonly y: number; readonly color?: string; readonly dashed?: boolean }[];
  /** log2 axis for recurrences, linear otherwise. */
  readonly xLog2?: boolean;
  /** Fixed y range (accuracy: [0, 1] shown as percent). */
  readonly yRange?: readonly [number, number];
  readonly yPercent?: boolean;
  readonly width?: number;
  readonly height?: number;
}

export const PALETTE = ['#1f5fa8', '#d9730d', '#2e8540', '#b3261e', '#6f42c1', '#8a6d00', '#00838f', '#555555'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Splits text into lines of at most `chars` characters at spaces (a title never runs off the chart). */
export function wrapText(text: string, chars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > chars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function renderLineChart(spec: ChartSpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 360;
  // ~7 px per character at 14 px bold: wrap the title to the chart's width
  const titleLines = wrapText(spec.title, Math.floor((width - 24) / 7.5));
  const labels = [...spec.series.map((s) => s.label), ...(spec.hlines ?? []).map((h) => h.label)];
  const legendRows = Math.ceil(labels.length / Math.max(1, Math.floor((width - 60) / 170)));
  const top = 14 + titleLines.length * 18 + legendRows * 18 + 12;
  // the right margin leaves room for half of the last x label (e.g. "3.5e+11")
  const margin = { top, right: 36, bottom: 48, left: 58 };
  const total = height + top - 60;
  const plotW = width - margin.left - margin.right;
  const plotH = total - margin.top - margin.bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = [...spec.series.flatMap((s) => s.points.flatMap((p) => [p.y - (p.err ?? 0), p.y + (p.err ?? 0)])), ...(spec.hlines ?? []).map((h) => h.y)];
  const tx = (x: number): number => (spec.xLog2 ? Math.log2(Math.max(x, 1e-12)) : x);
  let [x0, x1] = xs.length ? [Math.min(...xs.map(tx)), Math.max(...xs.map(tx))] : [0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  let [y0, y1] = spec.yRange ?? (ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1]);
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number): number => margin.left + ((tx(x) - x0) / (x1 - x0)) * plotW;
  const py = (y: number): number => margin.top + (1 - (y - y0) / (y1 - y0)) * plotH;
  const yFmt = (y: number): string =>
    spec.yPercent
      ? `${Math.round(y * 100)}%`
      : Math.abs(y) >= 1e4 || (Math.abs(y) < 1e-2 && y !== 0)
        ? y.toExponential(1)
        : String(Math.round(y * 1000) / 1000);
  const xFmt = (x: number): string => (Math.abs(x) >= 1e5 ? x.toExponential(1) : String(Math.round(x * 1000) / 1000));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" role="img" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${esc(spec.title)}</title>`,
    `<rect width="${width}" height="${total}" fill="#ffffff"/>`,
    ...titleLines.map((l, i) => `<text class="chart-title" x="12" y="${20 + i * 18}" font-size="14" font-weight="600" fill="#222">${esc(l)}</text>`),
  ];
  // grid and axes
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    out.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(py(y))}" y2="${f(py(y))}" stroke="#e3e3e3"/>`,
      `<text x="${margin.left - 6}" y="${f(py(y) + 4)}" text-anchor="end" fill="#333">${yFmt(y)}</text>`,
    );
  }
  const xTicks = spec.xLog2 ? [...new Set(xs)].sort((a, b) => a - b) : Array.from({ length: 5 }, (_, i) => x0 + ((x1 - x0) * i) / 4);
  for (const x of xTicks) out.push(`<text x="${f(px(x))}" y="${f(margin.top + plotH + 16)}" text-anchor="middle" fill="#333">${xFmt(x)}</text>`);
  out.push(
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${total - 10}" text-anchor="middle" fill="#333">${esc(spec.xLabel)}</text>`,
    `<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(spec.yLabel)}</text>`,
  );
  const colorOf = (i: number, c?: string): string => c ?? PALETTE[i % PALETTE.length]!;
  for (const [i, h] of (spec.hlines ?? []).entries()) {
    const c = colorOf(spec.series.length + i, h.color);
    out.push(
      `<line class="hline" x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(py(h.y))}" y2="${f(py(h.y))}" stroke="${c}" stroke-width="1.5" stroke-dasharray="${h.dashed === false ? '' : '6 4'}"><title>${esc(h.label)}: ${yFmt(h.y)}</title></line>`,
    );
  }
  for (const [i, s] of spec.series.entries()) {
    const c = colorOf(i, s.color);
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (!s.pointsOnly && pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.map((p) => `${f(px(p.x))},${f(py(p.y))}`).join(' ')}"/>`,
      );
    }
    for (const p of pts) {
      if (p.err) out.push(`<line x1="${f(px(p.x))}" x2="${f(px(p.x))}" y1="${f(py(p.y - p.err))}" y2="${f(py(p.y + p.err))}" stroke="${c}"/>`);
      out.push(
        `<circle class="point" cx="${f(px(p.x))}" cy="${f(py(p.y))}" r="${s.pointsOnly ? 2.5 : 3.5}" fill="${c}"${s.pointsOnly ? ' fill-opacity="0.6"' : ''}><title>${esc(s.label)}: x=${xFmt(p.x)}, y=${yFmt(p.y)}${p.err ? ` ± ${yFmt(p.err)}` : ''}</title></circle>`,
      );
    }
  }
  // legend under the title, in rows
  const perRow = Math.max(1, Math.floor((width - 60) / 170));
  const legend = [
    ...spec.series.map((s, i) => ({ label: s.label, color: colorOf(i, s.color), dashed: s.dashed ?? false, dot: s.pointsOnly ?? false })),
    ...(spec.hlines ?? []).map((h, i) => ({ label: h.label, color: colorOf(spec.series.length + i, h.color), dashed: h.dashed !== false, dot: false })),
  ];
  for (const [i, e] of legend.entries()) {
    const lx = 12 + (i % perRow) * 170;
    const ly = 14 + titleLines.length * 18 + Math.floor(i / perRow) * 18 + 6;
    out.push(
      e.dot
        ? `<circle cx="${lx + 11}" cy="${ly - 4}" r="3" fill="${e.color}"/>`
        : `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${e.color}" stroke-width="2"${e.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text class="legend" x="${lx + 28}" y="${ly}" fill="#333">${esc(e.label)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
