import { PALETTE, renderLineChart } from './chart.js';
import type { DemoConfig } from './config.js';
import type { DemoRow, PhaseRecord } from './demo.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface DemoReportInput {
  readonly config: DemoConfig;
  readonly rows: readonly DemoRow[];
  readonly phases: { readonly pretrain: PhaseRecord; readonly recurrent: PhaseRecord; readonly static: PhaseRecord };
  readonly seconds: Readonly<Record<string, number>>;
  readonly heuristic: string;
  readonly split: string;
  readonly table: string;
}

/**
 * The demo's page: what was run (seed, training FLOPs, wall time), accuracy against r for every
 * difficulty with the FLOP-matched static model and the heuristic as lines, and the training loss
 * against FLOPs of the recurrent and static post-training.
 */
export function renderDemoHtml(input: DemoReportInput): string {
  const { config, rows, phases, seconds } = input;
  const moves = config.task.testMoves;
  const recurrent = rows.filter((r) => r.model === 'recurrent');
  const staticRow = rows.find((r) => r.model === 'static');
  const heuristicRow = rows.find((r) => r.model === 'heuristic');
  const charts = moves
    .map((m, _i) =>
      renderLineChart({
        title: `${m} moves${m > config.task.trainMoves[1] ? ' (longer than any trained on)' : ''}: accuracy against test-time recurrence r`,
        xLabel: 'recurrence r (log scale)',
        yLabel: 'accuracy',
        xLog2: true,
        yRange: [0, 1],
        yPercent: true,
        width: 420,
        height: 300,
        series: [{ label: 'recurrent', color: PALETTE[0], points: recurrent.map((r) => ({ x: r.recurrence, y: r.byMoves[String(m)] ?? 0 })) }],
        hlines: [
          ...(staticRow ? [{ label: 'static, same FLOPs', y: staticRow.byMoves[String(m)] ?? 0, color: PALETTE[1] }] : []),
          ...(heuristicRow ? [{ label: `heuristic: ${input.heuristic}`, y: heuristicRow.byMoves[String(m)] ?? 0, color: PALETTE[2] }] : []),
        ],
      }),
    )
    .map((svg, i) => `<figure data-moves="${moves[i]}">${svg}</figure>`);
  const lossChart = renderLineChart({
    title: 'Training loss against training FLOPs (post-training, from the same pretrained model)',
    xLabel: 'training FLOPs (docs/method.md accounting)',
    yLabel: 'training loss',
    series: [
      { label: 'recurrent', color: PALETTE[0], points: phases.recurrent.loss.map((p) => ({ x: p.flops, y: p.loss })) },
      { label: 'static', color: PALETTE[1], dashed: true, points: phases.static.loss.map((p) => ({ x: p.flops, y: p.loss })) },
    ],
  });
  const runs = [phases.pretrain, phases.recurrent, phases.static]
    .map((p) => `<tr><td>${esc(p.label)}</td><td>${p.steps}</td><td>${p.flops.toExponential(3)}</td><td>${p.seconds.toFixed(0)} s</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rr demo, seed ${config.seed}: test-time recurrence on walks with walls</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1320px; }
figure { display: inline-block; margin: 0 1rem 1rem 0; vertical-align: top; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>rr demo, seed ${config.seed}: test-time recurrence on walks with walls</h1>
<p>Seed ${config.seed}; measured on the ${esc(input.split)} split; total wall time ${(seconds.total ?? 0).toFixed(0)} s. Trained on ${config.task.trainMoves[0]}-${config.task.trainMoves[1]} moves, evaluated on ${moves.join(', ')} moves.
The static model is the same pretrained model trained on with the recurrent post-training's FLOPs; the heuristic (${esc(input.heuristic)}) was chosen on the validation split.</p>
<table id="runs"><thead><tr><th>training phase</th><th>steps</th><th>training FLOPs</th><th>wall time</th></tr></thead><tbody>
${runs}
</tbody></table>
<h2>Accuracy against recurrence, per difficulty</h2>
${charts.join('\n')}
<h2>Training loss against FLOPs</h2>
<figure>${lossChart}</figure>
<h2>Table</h2>
<pre>${esc(input.table)}</pre>
</body>
</html>
`;
}
