import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@rr/tensor';
import { SHARED_DATA_MISSING, sharedDataDir } from '@rr/tensor/testing';
import { parseRecipe } from './recipe.js';
import { runRecipe } from './run-recipe.js';

const data = sharedDataDir();
const root = mkdtempSync(join(tmpdir(), 'rr-run-folder-'));
const backend = createCpuBackend({ threads: 1 });
afterAll(() => {
  backend.destroy();
  rmSync(root, { recursive: true, force: true });
});

function recipe(name: string, phase: Record<string, unknown> = {}) {
  return parseRecipe(
    {
      out: join(root, name),
      seed: 1,
      model: { path: join(data!, 'models/stories260K-hf'), plan: '1,2,1' },
      phases: [{ name: 'p', steps: 4, seq: 8, batch: 1, data: [{ path: join(data!, 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt') }], ...phase }],
      checkpoint: { every: 2, keep: 5 },
    },
    join(root, `${name}.json`),
  );
}

const stepsLogged = (out: string): number[] =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => 'loss' in l)
    .map((l) => l.step);

describe.skipIf(!data)(`the run folder${data ? '' : ` (skipped: ${SHARED_DATA_MISSING})`}`, () => {
  it('an existing run is refused without --resume, and started over with force', async () => {
    const r = recipe('again');
    await runRecipe(r, { backend });
    await expect(runRecipe(r, { backend })).rejects.toMatchObject({ code: 'RUN_EXISTS', message: expect.stringMatching(/--resume.*--force/) });
    await runRecipe(r, { backend, force: true });
    expect(stepsLogged(r.out)).toEqual([1, 2, 3, 4]);
  });

  it('a resume drops the lines of steps after the checkpoint, a torn line, and stale temp folders', async () => {
    const r = recipe('resume');
    const controller = new AbortController();
    await runRecipe(r, { backend, signal: controller.signal, onStep: (m) => m.step === 2 && controller.abort() });
    // what a kill between logging step 3 and its checkpoint leaves: a line for step 3, half a line,
    // and a checkpoint write that never reached its rename
    appendFileSync(join(r.out, 'metrics.jsonl'), '{"step":3,"phase":"p","loss":1}\n{"step":4,"ph');
    const stale = join(r.out, 'checkpoints', '.step-00000004.tmp-999-1');
    mkdirSync(stale);
    await runRecipe(r, { backend, resume: true });
    expect(stepsLogged(r.out)).toEqual([1, 2, 3, 4]);
    expect(existsSync(stale)).toBe(false);
  });

  it('limits are checked before any work, naming what is needed', async () => {
    await expect(runRecipe(recipe('long', { seq: 100_000 }), { backend })).rejects.toMatchObject({
      code: 'CONTEXT_TOO_LONG',
      message: expect.stringMatching(/seq = 100000 needs 100000 positions.*512/),
    });
    await expect(runRecipe(recipe('wide', { batch: 1e9 }), { backend, memoryBytes: 8e9 })).rejects.toMatchObject({
      code: 'MEMORY_LIMIT',
      message: expect.stringMatching(/batch 1000000000 .* would need about .* but 8.0 GB is available/),
    });
    expect(existsSync(join(root, 'wide', 'metrics.jsonl'))).toBe(false);
  });
});
