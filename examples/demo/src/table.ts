import type { DemoRow } from './demo.js';

const pct = (x: number | undefined | null): string => (x === undefined || x === null || !Number.isFinite(x) ? '-' : (x * 100).toFixed(1));

const modelLabel = (r: DemoRow): string => (r.model === 'static' ? 'static (same FLOPs)' : r.model);

/**
 * The demo's stdout table: one line for the best simple heuristic, one for the FLOP-matched static
 * model and one per recurrence r, with the effective depth, the harness's flexible-extract accuracy
 * (± its standard error) and the accuracy per number of moves, so one sees both the test-time
 * scaling and where it comes from (the hardest problems are the last column).
 */
export function renderDemoTable(rows: readonly DemoRow[], moves: readonly number[]): string {
  const header = ['model', 'r', 'depth', 'n', 'accuracy %', ...moves.map((m) => `${m} moves`)];
  const body = rows.map((r) => [
    modelLabel(r),
    r.model === 'recurrent' ? String(r.recurrence) : '-',
    r.model === 'heuristic' ? '-' : String(r.depth),
    String(r.n),
    r.stderr === null ? pct(r.accuracy) : `${pct(r.accuracy)} ± ${pct(r.stderr)}`,
    ...moves.map((m) => pct(r.byMoves[String(m)])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return `${[line(header), rule, ...body.map(line)].join('\n')}\n`;
}

/** Accuracy at r = b minus r = a on the hardest problems (the largest move count), in points. */
export function hardestGain(rows: readonly DemoRow[], moves: readonly number[], a: number, b: number): number | undefined {
  const hardest = String(Math.max(...moves));
  const at = (r: number): number | undefined => rows.find((x) => x.model === 'recurrent' && x.recurrence === r)?.byMoves[hardest];
  const [x, y] = [at(a), at(b)];
  return x === undefined || y === undefined ? undefined : (y - x) * 100;
}
