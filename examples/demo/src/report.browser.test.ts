/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderAccuracyChart, renderReportHtml } from '@rr/eval-gsm8k';
import { TINY_CONFIG } from './config.js';
import type { DemoRow, PhaseRecord } from './demo.js';
import { renderDemoHtml } from './report.js';
import { renderDemoTable } from './table.js';

/**
 * Opens the reports in a real headless Chromium (Debian's `chromium`, driven by playwright-core) and
 * checks what a reader sees: every point drawn inside its chart, the legends, titles that fit.
 * Without Chromium a user's run skips this test with the reason; CI (CI=true) never skips it.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const SKIP_REASON = `skipped: no Chromium at ${CHROMIUM} (install it with scripts/install-chromium.sh, or set CHROMIUM_PATH)`;

const dir = mkdtempSync(join(tmpdir(), 'rr-report-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const moves = [2, 3];
const rows: DemoRow[] = [
  { model: 'heuristic', recurrence: 0, depth: 0, n: 6, accuracy: 0.5, stderr: 0.2, byMoves: { 2: 0.6, 3: 0.4 } },
  { model: 'static', recurrence: 1, depth: 3, n: 6, accuracy: 0.4, stderr: 0.2, byMoves: { 2: 0.5, 3: 0.3 } },
  ...[1, 2, 4, 8, 16].map(
    (r, i): DemoRow => ({
      model: 'recurrent',
      recurrence: r,
      depth: 2 + r,
      n: 6,
      accuracy: 0.2 + 0.1 * i,
      stderr: 0.2,
      byMoves: { 2: 0.3 + 0.1 * i, 3: 0.1 + 0.1 * i },
    }),
  ),
];
const phase = (label: string, scale: number): PhaseRecord => ({
  label,
  steps: 10,
  flops: 10 * scale,
  seconds: 1,
  loss: Array.from({ length: 10 }, (_, i) => ({ flops: (i + 1) * scale, loss: 2 / (i + 1) })),
});

describe.skipIf(!present && !inCi)(`reports in headless Chromium${present || inCi ? '' : ` (${SKIP_REASON})`}`, () => {
  it('the demo page shows every point, legend and title', async () => {
    const { chromium } = await import('playwright-core');
    // a fresh profile folder per run (playwright passes it as --user-data-dir)
    const browser = await chromium.launchPersistentContext(mkdtempSync(join(dir, 'profile-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 1000 },
    });
    try {
      const page = await browser.newPage();
      const demoPath = join(dir, 'demo.html');
      const phases = {
        pretrain: phase('pretrain static', 1e9),
        recurrent: phase('post-train recurrent', 3e9),
        static: phase('train static (same FLOPs)', 3e9),
      };
      writeFileSync(
        demoPath,
        renderDemoHtml({
          config: { ...TINY_CONFIG, task: { ...TINY_CONFIG.task, testMoves: moves } },
          rows,
          phases,
          seconds: { total: 12 },
          heuristic: 'clamped sum',
          split: 'test',
          table: renderDemoTable(rows, moves),
        }),
      );
      await page.goto(pathToFileURL(demoPath).href);
      const seen = await page.evaluate(() => {
        const svgs = [...document.querySelectorAll('svg')];
        return svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          const inside = (el: Element): boolean => {
            const b = el.getBoundingClientRect();
            return b.width > 0 && b.height > 0 && b.left >= box.left - 1 && b.right <= box.right + 1 && b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
          };
          return {
            points: [...svg.querySelectorAll('circle.point')].filter(inside).length,
            legends: [...svg.querySelectorAll('text.legend')].filter(inside).map((t) => t.textContent),
            titles: [...svg.querySelectorAll('text.chart-title')].map((t) => ({ text: t.textContent, inside: inside(t) })),
          };
        });
      });
      // one chart per difficulty (5 recurrences each) and the loss chart (10 + 10 points)
      expect(seen).toHaveLength(moves.length + 1);
      for (const chart of seen.slice(0, moves.length)) {
        expect(chart.points).toBe(5);
        expect(chart.legends).toEqual(['recurrent', 'static, same FLOPs', 'heuristic: clamped sum']);
      }
      expect(seen[moves.length]!.points).toBe(20);
      expect(seen[moves.length]!.legends).toEqual(['recurrent', 'static']);
      for (const chart of seen) for (const t of chart.titles) expect(t.inside, `title line "${t.text}"`).toBe(true);
      expect(await page.locator('#runs').innerText()).toContain('training FLOPs');

      // the harness's own report: its (long) title wraps inside the chart, flexible-extract and static legends show
      const results = [1, 2, 4].map((r) => ({
        recurrence: r,
        n: 6,
        strict: 0,
        flexible: 0.2 * r,
        stderr: 0.1,
        strict_stderr: 0,
        tokens_per_s: 10,
        mean_steps: r,
      }));
      const report = {
        task: 'gsm8k-cot' as const,
        model: 'recurrent (1,1,1), post-trained with M = 8 on walks with walls of 1 to 8 moves',
        shots: 0,
        cue: false,
        static_baseline: 0.3,
        results,
      };
      const svg = renderAccuracyChart(results, { title: `GSM8K gsm8k-cot (0-shot): ${report.model}`, staticBaseline: 0.3 });
      const reportPath = join(dir, 'report.html');
      writeFileSync(reportPath, renderReportHtml(report, svg));
      await page.goto(pathToFileURL(reportPath).href);
      const harness = await page.evaluate(() => {
        const svg = document.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        const texts = [...svg.querySelectorAll('text')];
        const titleLines = texts.filter((t) => t.getAttribute('font-size') === '15');
        return {
          circles: svg.querySelectorAll('circle').length,
          titleFits: titleLines.every((t) => t.getBoundingClientRect().right <= box.right + 1),
          title: titleLines.map((t) => t.textContent).join(' '),
          legend: texts.map((t) => t.textContent),
        };
      });
      expect(harness.circles).toBe(3);
      expect(harness.titleFits).toBe(true);
      expect(harness.title).toBe(`GSM8K gsm8k-cot (0-shot): ${report.model}`);
      expect(harness.legend).toContain('flexible-extract');
      expect(harness.legend).toContain('static baseline');
      expect(harness.legend).not.toContain('strict-match');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
