import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, fixturesDir, fixturesOutcome, missingFixtures } from './fixtures.js';

describe('fixtures', () => {
  const saved = { data: process.env.RR_SHARED_DATA, ci: process.env.CI };
  afterEach(() => {
    for (const [key, value] of [
      ['RR_SHARED_DATA', saved.data],
      ['CI', saved.ci],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('are found in the repository without any setting', () => {
    delete process.env.RR_SHARED_DATA;
    const dir = fixturesDir();
    expect(dir).toMatch(/fixtures$/);
    expect(existsSync(join(dir!, 'README.md'))).toBe(true);
    expect(missingFixtures(['models/stories260K-hf/config.json'])).toEqual([]);
  });

  it('RR_SHARED_DATA points elsewhere, and a missing file is named by its full path', () => {
    const other = mkdtempSync(join(tmpdir(), 'rr-fixtures-'));
    try {
      mkdirSync(join(other, 'gsm8k'));
      writeFileSync(join(other, 'gsm8k', 'test.jsonl'), '');
      process.env.RR_SHARED_DATA = other;
      expect(fixture('gsm8k/test.jsonl')).toBe(join(other, 'gsm8k', 'test.jsonl'));
      expect(missingFixtures(['gsm8k/test.jsonl', 'gsm8k/train.jsonl'])).toEqual([join(other, 'gsm8k', 'train.jsonl')]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a missing fixture is a skip naming it locally, and a failure naming it on CI', () => {
    expect(fixturesOutcome('golden', [], false)).toEqual({ run: true });
    expect(fixturesOutcome('golden', [], true)).toEqual({ run: true });
    const local = fixturesOutcome('golden', ['/r/fixtures/a.bin'], false);
    expect(local).toMatchObject({ run: false, fail: false });
    expect(local.run === false && local.title).toBe('golden (skipped: missing fixture /r/fixtures/a.bin)');
    const ci = fixturesOutcome('golden', ['/r/fixtures/a.bin'], true);
    expect(ci).toMatchObject({ run: false, fail: true });
    expect(ci.run === false && ci.message).toContain('missing fixture /r/fixtures/a.bin, and CI=true');
  });
});
