import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runPipeline } from './main.js';

const data = process.env.RR_SHARED_DATA ?? resolve(__dirname, '../../../../shared/data');

it.skipIf(!existsSync(data))('runs the two-phase pipeline and the GSM8K sweep at tiny scale on stories260K', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rr-tinyllama-'));
  try {
    const { table, reportDir } = await runPipeline({
      model: join(data, 'models/stories260K-hf'),
      general: [join(data, 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt')],
      math: join(data, 'gsm8k/train.jsonl'),
      test: join(data, 'gsm8k/test.jsonl'),
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
