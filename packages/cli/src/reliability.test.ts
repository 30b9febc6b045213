import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './testing/cli.js';

/**
 * Short versions of the reliability suite in tools/reliability (the long ones: `pnpm reliability`).
 * They run the built CLI in child processes, so that a kill -9 is a real one and a hang is caught
 * by a guard instead of blocking the test run.
 */
const suite = resolve(dirname(fileURLToPath(import.meta.url)), '../../../tools/reliability');
const load = async (name: string) => import(pathToFileURL(join(suite, name)).href);
const { missingPrerequisite } = await load('common.mjs');
const missing: string | undefined = missingPrerequisite();
const work = mkdtempSync(join(tmpdir(), 'rr-reliability-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(missing)(`reliability${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('a run killed with kill -9 at random moments resumes to the uninterrupted run bit for bit', async () => {
    const { killLoop } = await load('kill-loop.mjs');
    const counts = await killLoop({ dir: join(work, 'kill'), runs: 1, steps: 6, minS: 0, maxS: 1, maxKillsPerRun: 2, seed: Date.now() });
    expect(counts.failures).toEqual([]);
    expect(counts.resumesIdentical).toBe(1);
    expect(counts.duplicatedSteps).toBe(0);
    expect(counts.staleTempsLeft).toBe(0);
  });

  it('a full disk ends in FILE_NO_SPACE with the last checkpoint intact (needs root for a tmpfs)', async (ctx) => {
    const { DISK_FULL_SKIP, diskFull } = await load('disk-full.mjs');
    if (DISK_FULL_SKIP) ctx.skip(DISK_FULL_SKIP);
    const results: { ok: boolean }[] = await diskFull({ dir: join(work, 'disk') });
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('a sample of the CLI and recipe fuzz ends in named errors or documented successes, no hang, no stack', async () => {
    const { runFuzz } = await load('fuzz.mjs');
    const report = await runFuzz({ dir: join(work, 'fuzz'), sample: 80, concurrency: 2, timeout: 120 });
    expect(report.cases).toBeGreaterThan(5);
    expect(report.failures).toEqual([]);
    expect(report.hangs + report.stackTraces + report.internal).toBe(0);
  });
});

describe('errors the CLI prints', () => {
  it('a bad flag is one line with its code, and exit code 1', async () => {
    const r = await cli(['generate', '--model', 'x', '--max-tokens', '1e99']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^rr: option '--max-tokens <n>' argument '1e99' is invalid\. "1e99" is not a positive integer\.; see --help\. \[BAD_FLAG\]\n$/);
  });

  it('an unexpected error says it is a bug and where to report it; the stack only with --debug', async () => {
    const { errorLine } = await import('./program.js');
    const line = errorLine(new TypeError('x is undefined'));
    expect(line).toMatch(/^rr: unexpected error \(TypeError: x is undefined\)\. This is a bug in rr: please report it .* \[INTERNAL\]$/);
    expect(errorLine(new (await import('@rr/tensor')).RRError('SOME_CODE', 'what and how to fix it.'))).toBe('rr: what and how to fix it. [SOME_CODE]');
  });
});
