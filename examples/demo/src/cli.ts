import { relative } from 'node:path';
import { isRRError } from '@rr/tensor';
import { DEMO_CONFIG, type DemoConfig, TINY_CONFIG } from './config.js';
import { runDemo } from './demo.js';
import { hardestGain } from './table.js';
import { parseCommandLine } from './args.js';

const USAGE = `pnpm demo [--out DIR] [--seed N] [--threads N] [--tiny]

The retrofitted-recurrence demo on 2 CPU cores, no downloads: pretrain a small Llama on
walks over 0..9 with walls, retrofit it (prelude / recurrent block / coda), post-train with Muon
and the recurrence tied to each batch's number of moves, and evaluate with the GSM8K harness at r = 1, 2, 4, 8, 16
against the static model trained with the same training FLOPs and the best simple heuristic.

  --out DIR     report folder (default reports/demo)
  --seed N      seed of the data, the weights and the sampler (default ${DEMO_CONFIG.seed})
  --threads N   CPU threads (default: all cores)
  --tiny        the same pipeline at toy scale, in seconds (what the test runs)
`;

/** Runs the demo from command-line arguments; returns the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const args = parseCommandLine(
    argv,
    {
      out: { type: 'string', default: 'reports/demo' },
      seed: { type: 'string' },
      threads: { type: 'string' },
      tiny: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (typeof args === 'number') return args;
  let config: DemoConfig = args.tiny ? TINY_CONFIG : DEMO_CONFIG;
  for (const [name, value] of [
    ['seed', args.seed],
    ['threads', args.threads],
  ] as const) {
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < (name === 'seed' ? 0 : 1)) {
      console.error(`--${name} ${value}: must be an integer${name === 'seed' ? ' >= 0' : ' >= 1'}.`);
      return 2;
    }
    config = { ...config, [name]: n };
  }
  try {
    const result = await runDemo(config, { outDir: args.out });
    const s = result.seconds;
    const p = result.phases;
    console.log(
      `\nseed ${config.seed}: GSM8K harness (gsm8k-cot, 0-shot, greedy, flexible-extract exact match) on ${result.rows[0]?.n ?? 0} held-out walks (${result.split} split):\n`,
    );
    console.log(result.table);
    console.log(
      `heuristic: ${result.heuristic} (the best simple rule on the validation split, no model). static: the pretrained model trained on with the recurrent post-training's FLOPs (${p.static.flops.toExponential(3)} in ${p.static.steps} steps vs ${p.recurrent.flops.toExponential(3)} in ${p.recurrent.steps}). depth = layers run per token (P + R*r + C).`,
    );
    const gain = hardestGain(result.rows, config.task.testMoves, 1, 8);
    if (gain !== undefined)
      console.log(`hardest problems (${Math.max(...config.task.testMoves)} moves): r = 8 is ${gain >= 0 ? '+' : ''}${gain.toFixed(1)} points against r = 1.`);
    const here = (p: string): string => {
      const r = relative(process.cwd(), p);
      return r.startsWith('..') ? p : r || '.';
    };
    console.log(
      `report: ${here(result.files.demoHtml)} (harness report ${here(result.files.html)}, chart ${here(result.files.svg)}, data ${here(result.files.json)}, ${here(result.files.summary)})`,
    );
    console.log(
      `time: pretrain ${s.pretrain.toFixed(0)}s, recurrent post-training ${s.postTrain.toFixed(0)}s, static training ${s.staticTrain.toFixed(0)}s, evaluation ${s.eval.toFixed(0)}s, total ${s.total.toFixed(0)}s`,
    );
    return 0;
  } catch (e) {
    console.error(isRRError(e) ? `rr demo: ${(e as Error).message}` : e);
    return 1;
  }
}
