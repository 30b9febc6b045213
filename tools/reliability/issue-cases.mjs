#!/usr/bin/env node
// Runs every hostile-input case of the reliability probe against the built CLI and prints a table:
// the command, exit code, seconds and the first line of output. Each case must end within the
// time limit in a one-line named error (`rr: ... [CODE]`) or in its documented success.
// Usage: node tools/reliability/issue-cases.mjs [--timeout SECONDS] [--json]
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify, lastLine, missingPrerequisite, runCli as run, testData } from './common.mjs';
import { canMountTmpfs, mountTmpfs, unmount } from './tmpfs.mjs';

const args = process.argv.slice(2);
const timeoutS = Number(args[args.indexOf('--timeout') + 1]) || 5;
const missing = missingPrerequisite();
if (missing) {
  console.error(`issue-cases: ${missing}`);
  process.exit(2);
}
const { model, text, gsm8kTest: gsm8k } = testData();
const work = mkdtempSync(join(tmpdir(), 'rr-cases-'));

const runCli = (argv, { timeout = timeoutS } = {}) => run(argv, { timeout, cwd: work });

function recipe(name, phase = {}, top = {}) {
  const path = join(work, `${name}.json`);
  const r = {
    name,
    out: join(work, `run-${name}`),
    model: { path: model, plan: '1,2,1' },
    phases: [{ name: 'p', steps: 2, seq: 16, batch: 2, data: [{ path: text }], ...phase }],
    checkpoint: { every: 1, keep: 2 },
    ...top,
  };
  writeFileSync(path, JSON.stringify(r));
  return path;
}

const recurrent = join(work, 'recurrent');
const aFile = join(work, 'a-file');
writeFileSync(aFile, 'not a folder\n');
const bigCompletion = join(work, 'big-completion.jsonl');
writeFileSync(bigCompletion, `${JSON.stringify({ completion: '1'.repeat(5e6), target: '1' })}\n`);
const longLine = join(work, 'one-line.txt');
writeFileSync(longLine, `${'once upon a time there was a cat. '.repeat(1.5e6)}\n`);
const emptyConfig = join(work, 'empty-config');
mkdirSync(emptyConfig);
writeFileSync(join(emptyConfig, 'config.json'), '{}');
const manyTokens = Array.from({ length: 5000 }, (_, i) => (i * 7) % 512).join(',');

/** [name, argv, expected: an error code, or 'ok' for a documented success] */
const cases = [
  ['generate past the context (700 tokens)', ['generate', '--model', model, '--max-tokens', '700'], 'CONTEXT_TOO_LONG'],
  ['generate --max-tokens 100000', ['generate', '--model', model, '--max-tokens', '100000'], 'CONTEXT_TOO_LONG'],
  ['generate --max-tokens 1e99', ['generate', '--model', model, '--max-tokens', '1e99'], 'BAD_FLAG'],
  ['generate --max-tokens 700 --allow-extrapolation', ['generate', '--model', model, '--max-tokens', '700', '--allow-extrapolation'], 'ok', 60],
  ['forward 5000 token ids', ['forward', '--model', model, '--tokens', manyTokens], 'CONTEXT_TOO_LONG'],
  ['generate --recurrence 1e9 (recurrent)', ['generate', '--model', recurrent, '--recurrence', '1000000000'], 'MEMORY_LIMIT'],
  ['forward --recurrence 10000 (no-grad, flat memory)', ['forward', '--model', recurrent, '--tokens', '1,403,407', '--recurrence', '10000'], 'ok', 60],
  [
    'eval gsm8k --recurrence 1e9',
    ['eval', 'gsm8k', '--model', recurrent, '--data', gsm8k, '--out', join(work, 'eval-r'), '--recurrence', '1000000000', '--limit', '1'],
    'MEMORY_LIMIT',
  ],
  ['recipe curriculum.maxMean 1e9', ['train', '--recipe', recipe('maxmean', { curriculum: { maxMean: 1e9 } })], 'RECIPE_INVALID'],
  ['recipe seq 100000', ['train', '--recipe', recipe('seq', { seq: 100000 })], 'CONTEXT_TOO_LONG'],
  ['recipe batch 1e9', ['train', '--recipe', recipe('batch', { batch: 1e9 })], 'MEMORY_LIMIT'],
  ['surgery --out names a file', ['surgery', '--model', model, '--plan', '1,2,1', '--out', join(aFile, 'x')], 'FILE_NOT_DIRECTORY'],
  ['train out below a file', ['train', '--recipe', recipe('belowfile', {}, { out: join(aFile, 'run') })], 'FILE_NOT_DIRECTORY'],
  ['surgery --out is an existing file', ['surgery', '--model', model, '--plan', '1,2,1', '--out', aFile], 'FILE_EXISTS'],
  ['train out is an existing file', ['train', '--recipe', recipe('outfile', {}, { out: aFile })], 'FILE_EXISTS'],
  [
    'eval gsm8k --out is an existing file',
    ['eval', 'gsm8k', '--model', model, '--data', gsm8k, '--out', aFile, '--limit', '1', '--max-tokens', '4'],
    'FILE_EXISTS',
  ],
  ['eval gsm8k score, 5 MB completion', ['eval', 'gsm8k', 'score', '--completions', bigCompletion], 'ok'],
  [
    'train on one 50 MB line (70 tokens needed)',
    ['train', '--recipe', recipe('longline', { steps: 2, seq: 16, batch: 2, data: [{ path: longLine }] })],
    'ok',
    60,
  ],
  ['--tokenizer that does not exist', ['generate', '--model', model, '--tokenizer', join(work, 'nope.json'), '--max-tokens', '2'], 'FILE_NOT_FOUND'],
  ['--recurrence on a static model (generate)', ['generate', '--model', model, '--recurrence', '4', '--max-tokens', '2'], 'BAD_FLAG'],
  ['--recurrence on a static model (forward)', ['forward', '--model', model, '--tokens', '1,2', '--recurrence', '4'], 'BAD_FLAG'],
  ['config.json of {}', ['generate', '--model', emptyConfig], 'CONFIG_INVALID'],
];

const rows = [];
async function check(name, argv, expected, timeout = timeoutS) {
  const r = await runCli(argv, { timeout });
  const how = classify(r);
  const first = r.code === 0 ? (r.out.trim().split('\n')[0] ?? '').slice(0, 100) : lastLine(r).slice(0, 300);
  const ok = expected === 'ok' ? how.kind === 'ok' : how.kind === 'named' && how.code === expected && r.seconds < timeoutS;
  rows.push({
    case: name,
    command: `rr ${argv.map((a) => (a.length > 60 ? `${a.slice(0, 57)}...` : a)).join(' ')}`,
    exit: r.hung ? 'hang' : (r.signal ?? r.code),
    seconds: +r.seconds.toFixed(2),
    expected,
    output: first,
    pass: ok,
  });
}

// a recurrent model for the recurrence cases
await runCli(['surgery', '--model', model, '--plan', '1,2,1', '--out', recurrent], { timeout: 60 });
for (const [name, argv, expected, t] of cases) await check(name, argv, expected, t);

// an existing run folder without --resume, then --force
const rerun = recipe('rerun', { steps: 1 });
await runCli(['train', '--recipe', rerun], { timeout: 60 });
await check('rerun train without --resume', ['train', '--recipe', rerun], 'RUN_EXISTS');
await check('rerun train with --force', ['train', '--recipe', rerun, '--force'], 'ok', 60);

// a kill after steps 3 and 4 were logged but before their checkpoints, with a checkpoint write
// cut short: the resume must log each step once and remove the temp folder
{
  const killed = recipe('killed', { steps: 4 }, { checkpoint: { every: 2, keep: 10 } });
  await runCli(['train', '--recipe', killed, '--json'], { timeout: 120 });
  const out = join(work, 'run-killed');
  rmSync(join(out, 'checkpoints', 'step-00000004'), { recursive: true, force: true });
  rmSync(join(out, 'model'), { recursive: true, force: true });
  mkdirSync(join(out, 'checkpoints', '.step-00000004.tmp-4242-1'));
  const r = await runCli(['train', '--recipe', killed, '--resume', '--json'], { timeout: 120 });
  const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => 'loss' in l)
    .map((l) => l.step);
  const temps = readdirSync(join(out, 'checkpoints')).filter((n) => n.includes('.tmp-'));
  rows.push({
    case: 'resume after a kill between logging and checkpointing',
    command: `rr train --recipe ${killed} --resume`,
    exit: r.code,
    seconds: +r.seconds.toFixed(2),
    expected: 'ok',
    output: `metrics steps ${steps.join(',')}; temp folders left: ${temps.length}`,
    pass: r.code === 0 && steps.join(',') === '1,2,3,4' && temps.length === 0,
  });
}

// read-only file system
if (canMountTmpfs()) {
  const ro = join(work, 'ro');
  mountTmpfs(ro, '1m', { readOnly: true });
  try {
    await check('surgery --out on a read-only fs', ['surgery', '--model', model, '--plan', '1,2,1', '--out', join(ro, 'm')], 'FILE_READ_ONLY');
    await check('train out on a read-only fs', ['train', '--recipe', recipe('ro', {}, { out: join(ro, 'run') })], 'FILE_READ_ONLY');
  } finally {
    unmount(ro);
  }
} else {
  rows.push({ case: 'read-only fs', command: '-', exit: '-', seconds: 0, expected: '-', output: 'skipped: mounting a tmpfs needs root', pass: true });
}

rmSync(work, { recursive: true, force: true });
if (args.includes('--json')) console.log(JSON.stringify(rows, null, 1));
else {
  for (const r of rows)
    console.log(
      `${r.pass ? 'PASS' : 'FAIL'} ${String(r.exit).padStart(7)} ${r.seconds.toFixed(2).padStart(6)}s  ${r.case}\n       $ ${r.command}\n       ${r.output}`,
    );
  console.log(`${rows.filter((r) => r.pass).length}/${rows.length} cases as documented`);
}
process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
