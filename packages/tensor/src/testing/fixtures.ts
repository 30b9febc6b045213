import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/**
 * The test data: the repository's private `fixtures/` package (models, GSM8K, text, configs;
 * fixtures/README.md lists every file with its origin, licence and SHA-256), or the folder
 * RR_SHARED_DATA names (same layout). A suite that needs fixtures names the files; when one is
 * missing it is skipped with the file's name in its title, except on CI (CI=true), where it fails:
 * CI is where every suite is promised to run, as with a missing GPU adapter.
 */
export function fixturesDir(): string | undefined {
  const override = globalThis.process?.env?.RR_SHARED_DATA;
  if (override) return resolve(override);
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml')) && existsSync(join(dir, 'fixtures', 'README.md'))) return join(dir, 'fixtures');
  }
  if (isCI()) throw new Error(`${FIXTURES_MISSING}, and CI=true requires every suite to run.`);
  return undefined;
}

/** The older name of {@link fixturesDir}. */
export const sharedDataDir = fixturesDir;

export const FIXTURES_MISSING = 'the fixtures folder was not found (run inside the rr repository, or set RR_SHARED_DATA to a folder with its layout)';
/** The older name of {@link FIXTURES_MISSING}. */
export const SHARED_DATA_MISSING = FIXTURES_MISSING;

/** The absolute path of a fixture, e.g. `fixture('models/stories260K-hf')`, whether or not it exists. */
export function fixture(file: string): string {
  return join(fixturesDir() ?? '<fixtures not found>', file);
}

/** Which of `files` (paths inside the fixtures folder) are absent, as absolute paths. */
export function missingFixtures(files: readonly string[]): string[] {
  const dir = fixturesDir();
  return dir === undefined ? files.map((f) => join('<fixtures>', f)) : files.map((f) => join(dir, f)).filter((p) => !existsSync(p));
}

/** What a suite that needs `files` registers: nothing special, a visible skip, or on CI a failure. */
export function fixturesOutcome(
  title: string,
  missing: readonly string[],
  ci: boolean,
): { run: true } | { run: false; fail: boolean; title: string; message: string } {
  if (missing.length === 0) return { run: true };
  const list = missing.join(', ');
  return ci
    ? {
        run: false,
        fail: true,
        title: `${title}: fixture missing on CI`,
        message: `${title}: missing fixture ${list}, and CI=true requires every suite to run.`,
      }
    : { run: false, fail: false, title: `${title} (skipped: missing fixture ${list})`, message: list };
}

/** `describe(title, body)` when every one of `files` exists; otherwise a skip naming them, or on CI a failure. */
export function describeWithFixtures(title: string, files: readonly string[], body: () => void): void {
  const outcome = fixturesOutcome(title, missingFixtures(files), isCI());
  if (outcome.run) describe(title, body);
  else registerUnavailable(outcome);
}

/** `it(title, fn)` when every one of `files` exists; otherwise a skip naming them, or on CI a failure. */
export function itWithFixtures(title: string, files: readonly string[], fn: () => unknown, timeout?: number): void {
  const outcome = fixturesOutcome(title, missingFixtures(files), isCI());
  if (outcome.run) it(title, fn, timeout);
  else registerUnavailable(outcome);
}

function registerUnavailable(outcome: { fail: boolean; title: string; message: string }): void {
  if (outcome.fail) {
    it(outcome.title, () => {
      throw new Error(outcome.message);
    });
  } else {
    it.skip(outcome.title, () => {});
  }
}

const isCI = (): boolean => globalThis.process?.env?.CI === 'true';
