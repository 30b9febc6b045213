import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fixture, itWithFixtures } from '@rr/tensor/testing';
import { runPipeline } from './main.js';

const FILES = { model: 'models/stories260K-hf', general: 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt', math: 'gsm8k/train.jsonl', test: 'gsm8k/test.jsonl' };

itWithFixtures('runs the two-phase pipeline and the GSM8K sweep at tiny scale on stories260K', Object.values(FILES), async () => {
  const out = mkdtempSync(join(tmpdir(), 'rr-tinyllama-'));
  try {
    const { table, reportDir } = await runPipeline({
      model: fixture(FILES.model),
      general: [fixture(FILES.general)],
      math: fixture(FILES.math),
      test: fixture(FILES.test),
      out,
      scale: 'tiny',
      backend: 'cpu',
      recurrences: [1, 2],
      limit: 2,
      maxNewTokens: 8,
    });
    expect(table).toMatch(/\|/);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(report.results.map((r: { recurrence: number }) => r.recurrence)).toEqual([1, 2]);
    const metrics = readFileSync(join(out, 'train', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(metrics.filter((m) => 'loss' in m).map((m) => m.phase))).toEqual(new Set(['healing', 'math']));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
