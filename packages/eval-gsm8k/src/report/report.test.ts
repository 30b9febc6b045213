import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SampleRecord } from '../io/sample-log.js';
import { aggregateByRecurrence, type RecurrenceResult } from './aggregate.js';
import { renderAccuracyChart, wrapTitle } from './chart-svg.js';
import { renderReportHtml } from './html.js';
import { renderMarkdownTable } from './markdown.js';
import type { Gsm8kReport } from './report.js';
import { writeReport } from './write-report.js';

function rec(index: number, recurrence: number, strict: boolean, flexible: boolean, tokens = 10, seconds = 1, meanSteps = recurrence): SampleRecord {
  return {
    index,
    recurrence,
    question: 'q',
    target: '1',
    completion: 'c',
    extracted: { strict: '1', flexible: '1' },
    correct: { strict, flexible },
    tokens,
    seconds,
    mean_steps: meanSteps,
  };
}

const RESULTS: RecurrenceResult[] = [
  { recurrence: 1, n: 5, strict: 0.2, flexible: 0.4, stderr: 0.2449489742783178, strict_stderr: 0.2, tokens_per_s: 812.25, mean_steps: 1 },
  { recurrence: 2, n: 5, strict: 0.6, flexible: 0.8, stderr: 0.2, strict_stderr: 0.2449489742783178, tokens_per_s: 41.5, mean_steps: 1.6 },
  { recurrence: 32, n: 1, strict: 1, flexible: 1, stderr: null, strict_stderr: null, tokens_per_s: null, mean_steps: 32 },
];

describe('aggregateByRecurrence', () => {
  it('computes accuracy and stderr per recurrence in doc order, tokens/s and token-weighted mean steps', () => {
    const rows = aggregateByRecurrence([rec(1, 2, false, true, 30, 2, 1.5), rec(0, 1, true, true), rec(1, 1, false, false), rec(0, 2, true, true, 10, 2, 2)]);
    expect(rows).toEqual([
      { recurrence: 1, n: 2, strict: 0.5, flexible: 0.5, stderr: 0.5, strict_stderr: 0.5, tokens_per_s: 10, mean_steps: 1 },
      { recurrence: 2, n: 2, strict: 0.5, flexible: 1, stderr: 0, strict_stderr: 0.5, tokens_per_s: 10, mean_steps: (30 * 1.5 + 10 * 2) / 40 },
    ]);
  });

  it('keeps only and orders by the requested recurrences, skipping empty ones', () => {
    const rows = aggregateByRecurrence([rec(0, 1, true, true), rec(0, 4, true, true)], [4, 2, 1]);
    expect(rows.map((r) => r.recurrence)).toEqual([4, 1]);
    expect(rows[0].stderr).toBeNull();
  });
});

describe('renderMarkdownTable', () => {
  it('prints percent ± stderr, tokens/s and mean steps', () => {
    expect(renderMarkdownTable({ results: RESULTS, static_baseline: 0.266 })).toBe(
      [
        '| r | n | strict-match | flexible-extract | tokens/s | mean steps |',
        '|---:|---:|---:|---:|---:|---:|',
        '| 1 | 5 | 20.0 ± 20.0 | 40.0 ± 24.5 | 812 | 1.00 |',
        '| 2 | 5 | 60.0 ± 24.5 | 80.0 ± 20.0 | 41.5 | 1.60 |',
        '| 32 | 1 | 100.0 | 100.0 | - | 32.00 |',
        '',
        'Static baseline (flexible-extract): 26.6',
        '',
      ].join('\n'),
    );
  });
});

describe('renderAccuracyChart', () => {
  const svg = renderAccuracyChart(RESULTS, { title: 'GSM8K <cot> & co', staticBaseline: 0.266 });

  it('is one escaped, deterministic SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<title id="chart-title">GSM8K &lt;cot&gt; &amp; co</title>');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(renderAccuracyChart(RESULTS, { title: 'GSM8K <cot> & co', staticBaseline: 0.266 })).toBe(svg);
  });

  it('places recurrences on a log2 axis: 1, 2 and 32 at 0, 1 and 5 of 5 units', () => {
    const ticks = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" fill="#333333">(\d+)<\/text>/g)].map((m) => [
      Number(m[2]),
      Number(m[1]),
    ]);
    expect(ticks.map((t) => t[0])).toEqual([1, 2, 32]);
    const [x1, x2, x32] = ticks.map((t) => t[1]);
    expect((x2 - x1) / (x32 - x1)).toBeCloseTo(1 / 5, 2);
  });

  it('draws both series with stderr bars, the static baseline and a legend', () => {
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(6);
    // error bars: every point with a stderr (not the r = 32 ones, n = 1)
    expect(svg.match(/stroke-width="1.2"/g)).toHaveLength(4);
    expect(svg).toContain('static 26.6%');
    expect(svg).toContain('flexible-extract</text>');
    expect(svg).toContain('strict-match</text>');
  });

  it('wraps a long title instead of cutting it off, and leaves out a strict-match line that is 0 everywhere', () => {
    const title = 'GSM8K gsm8k-cot (0-shot): recurrent (1,1,1), post-trained with M = 32 on walks with walls, seed 3';
    const zeroStrict = RESULTS.map((r) => ({ ...r, strict: 0, strict_stderr: 0 }));
    const chart = renderAccuracyChart(zeroStrict, { title, staticBaseline: 0.266 });
    const lines = [...chart.matchAll(/<text x="64" y="[\d.]+" font-size="15" font-weight="600" fill="#333333">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join(' ')).toBe(title);
    for (const line of lines) expect(line!.length).toBeLessThanOrEqual(wrapTitle(title).reduce((a, l) => Math.max(a, l.length), 0));
    expect(chart).not.toContain('strict-match');
    expect(chart.match(/<polyline /g)).toHaveLength(1);
    const html = renderReportHtml({ ...REPORT, results: zeroStrict }, chart);
    expect(html).not.toContain('<th>strict-match %</th>');
    expect(html).toContain('left out');
  });

  it('renders a single recurrence and an empty sweep without NaN', () => {
    expect(renderAccuracyChart(RESULTS.slice(0, 1), { title: 't' })).not.toMatch(/NaN/);
    expect(renderAccuracyChart([], { title: 't' })).toContain('no results yet');
  });
});

const REPORT: Gsm8kReport = { task: 'gsm8k-cot', model: 'runs/<tiny>', shots: 8, cue: false, static_baseline: 0.266, results: RESULTS };

describe('renderReportHtml', () => {
  it('embeds the chart and the table, escaping the model name', () => {
    const html = renderReportHtml(REPORT, renderAccuracyChart(RESULTS, { title: 'x' }));
    expect(html).toContain('<svg');
    expect(html).toContain('runs/&lt;tiny&gt;');
    expect(html).toContain('<td>2</td><td>5</td><td>60.0 ± 24.5</td><td><strong>80.0 ± 20.0</strong></td><td>41.5</td><td>1.60</td>');
    expect(html).not.toMatch(/<script/);
  });
});

describe('writeReport', () => {
  it('writes report.json, accuracy.svg and report.html atomically, leaving no temp files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rr-report-'));
    const { files, markdown } = writeReport(dir, REPORT);
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual(REPORT);
    expect(await readFile(files.svg, 'utf8')).toMatch(/^<svg/);
    expect(await readFile(files.html, 'utf8')).toMatch(/^<!doctype html>/);
    expect(markdown).toBe(renderMarkdownTable(REPORT));
    expect((await readdir(dir)).sort()).toEqual(['accuracy.svg', 'report.html', 'report.json']);
    // a rewrite replaces in place
    writeReport(dir, { ...REPORT, results: RESULTS.slice(0, 1) });
    expect(JSON.parse(await readFile(files.json, 'utf8')).results).toHaveLength(1);
    expect(await readdir(dir)).toHaveLength(3);
  });
});
