import { mkdirSync } from 'node:fs';
import { isRRError } from '@rr/tensor';
import { runSuite } from './claims.js';
import { writeClaimsReport } from './report.js';
import { FULL_SCALE, type Scale, TINY_SCALE } from './scale.js';
import { parseCommandLine } from '@rr/example-demo';

const USAGE = `pnpm claims [--tiny] [--seeds 1,2,3] [--out DIR]

The paper's claims as controlled experiments at toy scale on CPU (examples/paper-claims):
(1) test-time recurrence and the mean M, (2) recurrent against static at equal training FLOPs,
(3) pretrained against random init, (4) curriculum, (5) Muon against AdamW, (6) deeper
recurrence on walks longer than trained, (7) adaptive exit. Writes claims.html and claims.json.

  --tiny        toy size, seconds (what CI runs; its verdicts mean nothing)
  --seeds LIST  seeds (default 1,2,3)
  --out DIR     report folder (default reports/claims)
`;

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const args = parseCommandLine(
    argv,
    {
      tiny: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      out: { type: 'string', default: 'reports/claims' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (typeof args === 'number') return args;
  let scale: Scale = args.tiny ? TINY_SCALE : FULL_SCALE;
  if (args.seeds !== undefined) {
    const seeds = args.seeds.split(',').map(Number);
    if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      console.error(`--seeds ${args.seeds}: must be a comma-separated list of integers >= 0.`);
      return 2;
    }
    scale = { ...scale, seeds };
  }
  try {
    mkdirSync(args.out, { recursive: true });
    const result = await runSuite(scale, args.out);
    const files = writeClaimsReport(args.out, result);
    console.log(`\nverdicts (${scale.name} run, seeds ${scale.seeds.join(', ')}, ${result.seconds.toFixed(0)} s; mean ± std over seeds):`);
    for (const c of result.claims)
      console.log(
        `(${c.id}) ${c.verdict.toUpperCase()}: ${c.claim}\n    ${c.measure}: a ${c.a.mean.toFixed(3)} ± ${c.a.std.toFixed(3)}, b ${c.b.mean.toFixed(3)} ± ${c.b.std.toFixed(3)}`,
      );
    console.log(`report: ${files.html} (data ${files.json})`);
    return 0;
  } catch (e) {
    console.error(isRRError(e) ? `rr claims: ${(e as Error).message}` : e);
    return 1;
  }
}
