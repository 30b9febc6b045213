import type { DemoRow } from './demo.js';

const pct = (x: number | undefined | null): string => (x === undefined || x === null || !Number.isFinite(x) ? '-' : (x * 100).toFixed(1));

/**
 * The demo's stdout table: one line per (model, recurrence) with its effective depth, the harness's
 * flexible-extract accuracy (± its standard error) and the accuracy per number of moves, so one sees
 * both the test-time scaling and where it comes from.
 */
export function renderDemoTable(rows: readonly DemoRow[], moves: readonly number[]): string {
  const header = ['model', 'r', 'depth', 'n', 'accuracy %', ...moves.map((m) => `${m} moves`)];
  const body = rows.map((r) => [
    r.model,
    r.model === 'static' ? '-' : String(r.recurrence),
    String(r.depth),
    String(r.n),
    r.stderr === null ? pct(r.accuracy) : `${pct(r.accuracy)} ± ${pct(r.stderr)}`,
    ...moves.map((m) => pct(r.byMoves[String(m)])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n') + '\n';
}
