#!/usr/bin/env node
// The long reliability suite (`pnpm reliability`): the kill -9 loop, the full-disk test and the
// fuzz of the CLI and recipe schema, each reporting its counts. Minutes, not seconds: the short
// versions run in `pnpm test` (packages/cli/src/reliability.test.ts).
// Usage: node tools/reliability/run.mjs [kill|disk|fuzz ...] [--kill-runs N] [--match TEXT] [--json FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPrerequisite } from './common.mjs';
import { DISK_FULL_SKIP, diskFull } from './disk-full.mjs';
import { runFuzz } from './fuzz.mjs';
import { killLoop } from './kill-loop.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const parts = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const wanted = (p) => parts.length === 0 || parts.includes(p);
const missing = missingPrerequisite();
if (missing) {
  console.error(`rr reliability: ${missing}`);
  process.exit(2);
}
const log = (s) => console.error(s);
const work = mkdtempSync(join(tmpdir(), 'rr-reliability-'));
const report = {};
try {
  if (wanted('kill')) {
    report.killLoop = await killLoop({ dir: join(work, 'kill'), runs: Number(option('--kill-runs', 10)), steps: 24, seed: Number(option('--seed', 1)), log });
    console.log(JSON.stringify({ killLoop: report.killLoop }));
  }
  if (wanted('disk')) {
    report.diskFull = DISK_FULL_SKIP ? { skipped: DISK_FULL_SKIP } : await diskFull({ dir: join(work, 'disk'), log });
    console.log(JSON.stringify({ diskFull: report.diskFull }));
  }
  if (wanted('fuzz')) {
    report.fuzz = await runFuzz({
      dir: join(work, 'fuzz'),
      concurrency: Number(option('--concurrency', 2)),
      timeout: Number(option('--timeout', 60)),
      match: option('--match'),
      log,
    });
    console.log(JSON.stringify({ fuzz: report.fuzz }));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const json = option('--json');
if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
const k = report.killLoop;
const f = report.fuzz;
const failed =
  (k && (k.failures.length > 0 || k.resumesIdentical !== k.runs || k.staleTempsLeft > 0)) ||
  (Array.isArray(report.diskFull) && report.diskFull.some((d) => !d.ok)) ||
  (f && (f.failures.length > 0 || f.hangs > 0 || f.stackTraces > 0));
process.exitCode = failed ? 1 : 0;
