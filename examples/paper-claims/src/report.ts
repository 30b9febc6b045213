import { join } from 'node:path';
import { writeFileAtomically } from '@rr/tensor';
import { PALETTE, type Series, renderLineChart } from '@rr/example-demo';
import { type SuiteResult, VARIANTS, type Variant } from './claims.js';
import { summarize } from './verdict.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const pct = (x: number): string => (x * 100).toFixed(1);

/** Mean ± std over seeds of one variant's accuracy at each r (a difficulty or 'all'), plus per-seed points. */
function accuracySeries(result: SuiteResult, variant: Variant, key: string, color: string): Series[] {
  const rs = Object.keys(result.seeds[0]?.accuracy[variant] ?? {})
    .map(Number)
    .sort((a, b) => a - b);
  const mean: Series = {
    label: `${VARIANTS[variant]} (mean ± std)`,
    color,
    points: rs.map((r) => {
      const s = summarize(result.seeds.map((seed) => seed.accuracy[variant]![String(r)]![key] ?? 0));
      return { x: r, y: s.mean, err: s.std };
    }),
  };
  const perSeed: Series = {
    label: 'per seed',
    color,
    pointsOnly: true,
    points: rs.flatMap((r) => result.seeds.map((seed) => ({ x: r, y: seed.accuracy[variant]![String(r)]![key] ?? 0 }))),
  };
  return [mean, perSeed];
}

export function renderClaimsHtml(result: SuiteResult): string {
  const { scale } = result;
  const staticLine = (key: string): { label: string; y: number; color: string }[] => {
    const s = summarize(result.seeds.map((seed) => seed.accuracy.static?.['1']?.[key] ?? 0));
    return [{ label: `static, same FLOPs (mean ${pct(s.mean)}%)`, y: s.mean, color: PALETTE[3]! }];
  };
  const vsR = ['all', ...scale.task.testMoves.map(String)].map((key) =>
    renderLineChart({
      title: `Accuracy against test-time recurrence r: ${key === 'all' ? 'all test problems' : `${key} moves${Number(key) > scale.task.trainMoves[1] ? ' (never trained on)' : ''}`}`,
      xLabel: 'recurrence r (log scale)',
      yLabel: 'accuracy',
      xLog2: true,
      yRange: [0, 1],
      yPercent: true,
      width: 560,
      height: 340,
      series: [
        ...accuracySeries(result, 'main', key, PALETTE[0]!),
        ...accuracySeries(result, 'smallM', key, PALETTE[1]!),
        ...accuracySeries(result, 'random', key, PALETTE[2]!),
      ],
      hlines: staticLine(key),
    }),
  );
  const variants = Object.keys(VARIANTS) as Variant[];
  const vsFlops = renderLineChart({
    title: 'Accuracy (all test problems, r = M for recurrent models) against post-training FLOPs, per seed',
    xLabel: 'training FLOPs',
    yLabel: 'accuracy',
    yRange: [0, 1],
    yPercent: true,
    width: 700,
    height: 360,
    series: variants.map((v, i) => ({
      label: VARIANTS[v],
      color: PALETTE[i % PALETTE.length]!,
      pointsOnly: true,
      points: result.seeds.map((s) => {
        const byR = s.accuracy[v] ?? {};
        const r = byR[String(scale.largeMean)] ? String(scale.largeMean) : Object.keys(byR)[0]!;
        return { x: s.flops[v] ?? 0, y: byR[r]?.all ?? 0 };
      }),
    })),
  });
  const loss = renderLineChart({
    title: `Training loss against FLOPs (seed ${result.seeds[0]?.seed ?? '-'})`,
    xLabel: 'training FLOPs',
    yLabel: 'training loss',
    width: 700,
    height: 360,
    series: variants.map((v, i) => ({
      label: VARIANTS[v],
      color: PALETTE[i % PALETTE.length]!,
      points: (result.seeds[0]?.loss[v] ?? []).map((p) => ({ x: p.flops, y: p.loss })),
    })),
  });
  const adaptive = renderLineChart({
    title: 'Adaptive exit: accuracy against mean recurrence steps used (each point one KL threshold, per seed)',
    xLabel: 'mean steps',
    yLabel: 'accuracy',
    yRange: [0, 1],
    yPercent: true,
    width: 560,
    height: 340,
    series: result.seeds.map((s, i) => ({
      label: `seed ${s.seed}`,
      color: PALETTE[i % PALETTE.length]!,
      points: s.adaptive.map((a) => ({ x: a.meanSteps, y: a.accuracy })),
    })),
  });
  const verdictRows = result.claims
    .map(
      (c) =>
        `<tr><td>${c.id}</td><td>${esc(c.claim)}</td><td>${esc(c.measure)}</td><td>${fmt(c.a)}</td><td>${fmt(c.b)}</td><td class="verdict">${c.verdict}</td></tr>`,
    )
    .join('\n');
  const seedRows = result.seeds
    .map(
      (s) =>
        `<tr><td>${s.seed}</td><td>${s.seconds.toFixed(0)} s</td>${variants.map((v) => `<td>${(s.flops[v] ?? 0).toExponential(2)} (${(s.trainSeconds[v] ?? 0).toFixed(0)} s)</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rr: the paper's claims at toy scale (${scale.name})</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1400px; }
figure { display: inline-block; margin: 0 1rem 1rem 0; vertical-align: top; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { border: 1px solid #ccc; padding: 0.25rem 0.6rem; vertical-align: top; }
</style>
</head>
<body>
<h1>The paper's claims at toy scale (${scale.name} run, seeds ${scale.seeds.join(', ')}, ${result.seconds.toFixed(0)} s)</h1>
<p>Walks on 0..9 with walls (the demo's task), trained on ${scale.task.trainMoves[0]}-${scale.task.trainMoves[1]} moves, tested on ${scale.task.testMoves.join(', ')} moves (${scale.task.testPerMoves} each, test split).
Every variant post-trains the same pretrained ${scale.model.numLayers}-layer model of width ${scale.model.hiddenSize} for ${scale.postSteps} steps (the static baseline: for the main model's FLOPs). Verdicts compare mean ± std over seeds: holds / does not hold when the intervals are apart, inconclusive when they overlap.${scale.name === 'tiny' ? ' <strong>Tiny run: the numbers only show that the pipeline works.</strong>' : ''}</p>
<table id="verdicts"><thead><tr><th>#</th><th>claim</th><th>measured as</th><th>a (mean ± std)</th><th>b (mean ± std)</th><th>verdict</th></tr></thead><tbody>
${verdictRows}
</tbody></table>
<table id="runs"><thead><tr><th>seed</th><th>wall time</th>${variants.map((v) => `<th>${esc(VARIANTS[v])}: training FLOPs (wall)</th>`).join('')}</tr></thead><tbody>
${seedRows}
</tbody></table>
${[...vsR, vsFlops, loss, adaptive].map((svg) => `<figure>${svg}</figure>`).join('\n')}
</body>
</html>
`;
}

function fmt(s: { mean: number; std: number; values: readonly number[] }): string {
  const big = Math.abs(s.mean) > 2;
  const f = (x: number): string => (big ? x.toFixed(1) : x.toFixed(3));
  return `${f(s.mean)} ± ${f(s.std)} <small>(${s.values.map(f).join(', ')})</small>`;
}

/** Writes claims.json (every figure) and claims.html; returns their paths. */
export function writeClaimsReport(outDir: string, result: SuiteResult): { json: string; html: string } {
  const json = join(outDir, 'claims.json');
  const html = join(outDir, 'claims.html');
  const write = (path: string, text: string): void => writeFileAtomically(path, (append) => append(Buffer.from(text, 'utf8')));
  write(json, `${JSON.stringify(result, null, 2)}\n`);
  write(html, renderClaimsHtml(result));
  return { json, html };
}
