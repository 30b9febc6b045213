import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lossSpikes, verdicts } from './claims.js';
import { tokenizer } from './pipeline.js';
import { main } from './cli.js';
import { TINY_SCALE } from './scale.js';
import { greaterThan, summarize } from './verdict.js';

const root = mkdtempSync(join(tmpdir(), 'rr-claims-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('verdicts', () => {
  it('compare mean ± std over seeds: apart above, apart below, overlapping', () => {
    expect(summarize([1, 2, 3])).toEqual({ mean: 2, std: 1, values: [1, 2, 3] });
    expect(greaterThan(summarize([0.9, 0.9, 0.9]), summarize([0.5, 0.5, 0.5]))).toBe('holds');
    expect(greaterThan(summarize([0.5, 0.5, 0.5]), summarize([0.9, 0.9, 0.9]))).toBe('does not hold');
    expect(greaterThan(summarize([0.6, 0.7, 0.8]), summarize([0.5, 0.6, 0.7]))).toBe('inconclusive');
  });

  it('count a loss spike only where a step jumps above 1.5x the recent median', () => {
    const flat = Array.from({ length: 50 }, () => 1);
    expect(lossSpikes(flat)).toBe(0);
    expect(lossSpikes(flat.map((v, i) => (i === 30 || i === 40 ? 2 : v)))).toBe(2);
  });
});

describe('the answer scorer', () => {
  it('reads ten distinct digit tokens (not the BOS the tokenizer adds by default)', () => {
    const ids = Array.from({ length: 10 }, (_, d) => tokenizer.encode(String(d), { bos: false, eos: false }).at(-1)!);
    expect(new Set(ids).size).toBe(10);
    expect(ids).not.toContain(tokenizer.bosId);
  });
});

describe('the tiny suite', () => {
  it('runs every claim over 3 seeds, prints the verdicts and writes the report', async () => {
    const out = join(root, 'tiny');
    const logs: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void logs.push(args.join(' '));
    try {
      expect(await main(['--tiny', '--out', out])).toBe(0);
    } finally {
      console.log = original;
    }
    const text = logs.join('\n');
    for (let id = 1; id <= 7; id++) expect(text).toMatch(new RegExp(`\\(${id}\\) (HOLDS|DOES NOT HOLD|INCONCLUSIVE)`));
    const json = JSON.parse(readFileSync(join(out, 'claims.json'), 'utf8'));
    expect(json.seeds.map((s: { seed: number }) => s.seed)).toEqual([1, 2, 3]);
    for (const seed of json.seeds) {
      // the static baseline got at least the main model's FLOPs, at most one step more
      expect(seed.flops.static).toBeGreaterThanOrEqual(seed.flops.main);
      for (const r of TINY_SCALE.recurrences) for (const v of Object.values(seed.accuracy.main[String(r)]) as number[]) expect(v >= 0 && v <= 1).toBe(true);
      expect(seed.adaptive).toHaveLength(TINY_SCALE.exitThresholds.length);
    }
    // the verdicts are recomputed from the figures in the JSON alone
    expect(verdicts(TINY_SCALE, json.seeds).map((c) => c.verdict)).toEqual(json.claims.map((c: { verdict: string }) => c.verdict));
    const html = readFileSync(join(out, 'claims.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('id="verdicts"');
    expect(existsSync(join(out, 'claims.json'))).toBe(true);
  });
});
