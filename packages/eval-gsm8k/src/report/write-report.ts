import { join } from 'node:path';
import { writeFileAtomically } from '@rr/tensor';
import { renderAccuracyChart } from './chart-svg.js';
import { renderReportHtml } from './html.js';
import { renderMarkdownTable } from './markdown.js';
import type { Gsm8kReport } from './report.js';

/** Paths of the files {@link writeReport} wrote. */
export interface ReportFiles {
  readonly json: string;
  readonly svg: string;
  readonly html: string;
}

/**
 * Writes `report.json`, `accuracy.svg` and `report.html` into `outDir` (which must exist), each to a
 * temp file renamed into place, so a crash never leaves a half report; returns their paths and the
 * Markdown table.
 */
export function writeReport(outDir: string, report: Gsm8kReport): { files: ReportFiles; markdown: string } {
  const files: ReportFiles = {
    json: join(outDir, 'report.json'),
    svg: join(outDir, 'accuracy.svg'),
    html: join(outDir, 'report.html'),
  };
  const svg = renderAccuracyChart(report.results, {
    title: `GSM8K ${report.task} (${report.shots}-shot): ${report.model}`,
    staticBaseline: report.static_baseline,
  });
  writeText(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeText(files.svg, svg);
  writeText(files.html, renderReportHtml(report, svg));
  return { files, markdown: renderMarkdownTable(report) };
}

function writeText(path: string, text: string): void {
  writeFileAtomically(path, (append) => append(Buffer.from(text, 'utf8')));
}
