import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSampleLog, type SampleRecord, SampleLog } from './sample-log.js';

function record(index: number, recurrence: number, correct = true): SampleRecord {
  return {
    index,
    recurrence,
    question: `q${index}`,
    target: String(index),
    completion: ` The answer is ${index}.`,
    extracted: { strict: String(index), flexible: `${index}.` },
    correct: { strict: correct, flexible: correct },
    tokens: 10,
    seconds: 0.5,
    mean_steps: recurrence,
  };
}

async function tempLog(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'rr-samples-')), 'samples.jsonl');
}

describe('SampleLog', () => {
  it('appends whole lines and resumes with the done (index, recurrence) pairs', async () => {
    const path = await tempLog();
    const log = await SampleLog.open(path);
    expect(log.size).toBe(0);
    await log.append([record(0, 1), record(1, 1)]);
    await log.append([record(0, 2)]);
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(4);

    const reopened = await SampleLog.open(path);
    expect(reopened.size).toBe(3);
    expect(reopened.has(1, 1)).toBe(true);
    expect(reopened.has(1, 2)).toBe(false);
    expect(reopened.get(0, 2)).toEqual(record(0, 2));
    expect(reopened.droppedTornLine).toBe(false);
  });

  it('drops a torn last line from a crash and cuts it off before appending', async () => {
    const path = await tempLog();
    await writeFile(path, `${JSON.stringify(record(0, 1))}\n${JSON.stringify(record(1, 1)).slice(0, 25)}`);
    expect(await readSampleLog(path)).toMatchObject({ records: [record(0, 1)], tornTail: true });

    const log = await SampleLog.open(path);
    expect(log.droppedTornLine).toBe(true);
    expect(log.has(1, 1)).toBe(false);
    await log.append([record(1, 1)]);
    const text = await readFile(path, 'utf8');
    expect(text).toBe([record(0, 1), record(1, 1)].map((r) => `${JSON.stringify(r)}\n`).join(''));
  });

  it('treats a damaged complete line as corruption, naming the line', async () => {
    const path = await tempLog();
    await writeFile(path, `${JSON.stringify(record(0, 1))}\n{"index": 1}\n${JSON.stringify(record(2, 1))}\n`);
    await expect(SampleLog.open(path)).rejects.toThrowError(
      expect.objectContaining({ code: 'EVAL_LOG_CORRUPT', message: expect.stringMatching(/samples\.jsonl:2: field "recurrence"/) }),
    );
    await writeFile(path, 'not json\n');
    await expect(SampleLog.open(path)).rejects.toThrowError(/samples\.jsonl:1: not valid JSON/);
  });

  it('keeps the first record of a pair written twice', async () => {
    const path = await tempLog();
    await appendFile(path, `${JSON.stringify(record(0, 1, true))}\n${JSON.stringify(record(0, 1, false))}\n`);
    const log = await SampleLog.open(path);
    expect(log.size).toBe(1);
    expect(log.get(0, 1)?.correct.flexible).toBe(true);
  });
});
