import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@rr/tensor';
import { loadCheckpoint, loadLatestCheckpoint, listCheckpoints } from './checkpoint.js';
import { loadRecipe, parseRecipe } from './recipe.js';
import { runRecipe } from './run-recipe.js';
import { describeWithFixtures, fixture, itWithFixtures } from '@rr/tensor/testing';

const STORIES = [
  'models/stories260K-hf',
  'text/tinystories/toyrnn_tinystories_sample_2MiB.txt',
  'text/tinystories/tinystories_validation_head_794K.txt',
  'gsm8k/train.jsonl',
];
const root = mkdtempSync(join(tmpdir(), 'rr-train-'));
const backend = createCpuBackend();
afterAll(() => {
  backend.destroy();
  rmSync(root, { recursive: true, force: true });
});

function recipe(
  name: string,
  overrides: { steps?: number; seq?: number; batch?: number; every?: number; optimizer?: Record<string, unknown>; eval?: boolean; mix?: boolean } = {},
): unknown {
  const text = fixture('text/tinystories');
  return {
    name,
    out: join(root, name),
    seed: 3,
    model: { path: fixture('models/stories260K-hf'), plan: '1,2,1' },
    phases: [
      {
        name: 'healing',
        steps: overrides.steps ?? 100,
        seq: overrides.seq ?? 16,
        batch: overrides.batch ?? 2,
        data: overrides.mix
          ? [
              { path: join(text, 'toyrnn_tinystories_sample_2MiB.txt'), weight: 3 },
              { path: fixture('gsm8k/train.jsonl'), template: 'Question: {question}\nAnswer: {answer}', weight: 1 },
            ]
          : [{ path: join(text, 'toyrnn_tinystories_sample_2MiB.txt') }],
        curriculum: { kind: 'linear', maxMean: 4, warmupFraction: 0.25 },
        ...(overrides.optimizer ? { optimizer: overrides.optimizer } : {}),
        ...(overrides.eval
          ? { eval: { data: [{ path: join(text, 'tinystories_validation_head_794K.txt') }], every: 100, batches: 4, recurrences: [1, 4] } }
          : {}),
      },
    ],
    checkpoint: { every: overrides.every ?? 25, keep: 2 },
  };
}

function losses(runDir: string): Map<number, number> {
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return new Map(lines.filter((l) => 'loss' in l).map((l) => [l.step, l.loss]));
}

describeWithFixtures('training stories260K (1,2,1)', STORIES, () => {
  it('200 steps with the curriculum and Muon lower the held-out loss', async () => {
    const r = parseRecipe(recipe('learn', { steps: 200, seq: 32, batch: 4, eval: true }), join(root, 'learn.json'));
    const summary = await runRecipe(r, { backend });
    // the held-out loss is reported at every listed r, at step 0 and at the end
    expect(summary.evals.map((e) => [e.step, e.recurrence])).toEqual([
      [0, 1],
      [0, 4],
      [100, 1],
      [100, 4],
      [200, 1],
      [200, 4],
    ]);
    const atR4 = summary.evals.filter((e) => e.recurrence === 4);
    const [first, last] = [atR4[0]!, atR4[atR4.length - 1]!];
    console.log(
      `held-out loss at r=1/4: step 0 ${summary.evals[0]!.eval_loss.toFixed(3)}/${first.eval_loss.toFixed(3)} -> step 200 ${summary.evals[4]!.eval_loss.toFixed(3)}/${last.eval_loss.toFixed(3)}`,
    );
    expect(last.eval_loss).toBeLessThan(first.eval_loss - 0.5);
    expect(readFileSync(join(summary.modelDir!, 'config.json'), 'utf8')).toContain('"rr"');
  });

  it('stopping after step 50 and resuming gives the uninterrupted run bit for bit, with a weighted mix of two sources', async () => {
    const whole = parseRecipe(recipe('whole', { mix: true }), join(root, 'whole.json'));
    const done = await runRecipe(whole, { backend });
    const [stories, gsm8k] = done.mix[0]!.sources;
    expect([stories!.weight, gsm8k!.weight]).toEqual([0.75, 0.25]);
    expect(stories!.documents).toBeGreaterThan(0);
    expect(gsm8k!.documents).toBeGreaterThan(0);
    const split = parseRecipe({ ...(recipe('split', { mix: true }) as object) }, join(root, 'split.json'));
    const controller = new AbortController();
    const first = await runRecipe(split, { backend, signal: controller.signal, onStep: (m) => m.step === 50 && controller.abort() });
    expect(first.interrupted).toBe(true);
    expect(loadLatestCheckpoint(split.out)!.state).toMatchObject({ step: 50, phaseStep: 50 });
    const second = await runRecipe(split, { backend, resume: true });
    expect(second.interrupted).toBe(false);
    expect(second.steps).toBe(50);
    const a = losses(whole.out);
    const b = losses(split.out);
    for (let step = 51; step <= 100; step++) expect(b.get(step), `step ${step}`).toBe(a.get(step));
    // the realised mix written at the end of the phase is the same too
    const mixOf = (dir: string): unknown =>
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .find((l) => 'data_mix' in l).data_mix;
    expect(mixOf(split.out)).toEqual(mixOf(whole.out));
    // the FLOPs sum survives the resume: the resumed run reports the whole run's FLOPs
    expect(done.flops).toBeGreaterThan(0);
    expect(second.flops).toBe(done.flops);
  });

  it('a second phase continues in the data where the first stopped, and a resume at the boundary does the same', async () => {
    const twoPhases = (name: string): unknown => {
      const r = recipe(name, { steps: 3, seq: 16, batch: 2, every: 100 }) as { phases: Record<string, unknown>[]; checkpoint: Record<string, unknown> };
      const [healing] = r.phases as [Record<string, unknown>];
      const general = (healing.data as { path: string }[])[0]!;
      r.phases = [
        healing,
        { ...healing, name: 'mix', data: [general, { path: fixture('gsm8k/train.jsonl'), template: 'Question: {question}\nAnswer: {answer}' }] },
      ];
      r.checkpoint = { every: 100, keep: 5 };
      return r;
    };
    const whole = parseRecipe(twoPhases('phases'), join(root, 'phases.json'));
    await runRecipe(whole, { backend });
    const boundary = listCheckpoints(whole.out)
      .map((n) => loadCheckpoint(join(whole.out, 'checkpoints', n)))
      .find((c) => c.state.phase === 1)!;
    const general = whole.phases[0]!.data[0]!.path;
    // phase 1 read 3 steps x 2 rows x 17 tokens of one source: phase 2 starts past the documents it touched, at a document boundary
    expect(boundary.state.data).toMatchObject({ drawn: 0, token: 0 });
    expect(boundary.state.data.streams[general]!.document).toBeGreaterThan(0);
    // stopping at the boundary and resuming trains phase 2 on the same rows
    const split = parseRecipe(twoPhases('phases-split'), join(root, 'phases-split.json'));
    const controller = new AbortController();
    await runRecipe(split, { backend, signal: controller.signal, onStep: (m) => m.step === 3 && controller.abort() });
    await runRecipe(split, { backend, resume: true });
    const [a, b] = [losses(whole.out), losses(split.out)];
    for (let step = 4; step <= 6; step++) expect(b.get(step), `step ${step}`).toBe(a.get(step));
  });

  it('a static phase with only a FLOPs budget trains the steps that spend it', async () => {
    const json = recipe('static-budget', { seq: 16, batch: 2 }) as { model: Record<string, unknown>; phases: Record<string, unknown>[] };
    delete json.model.plan;
    delete json.phases[0]!.steps;
    // stories260K: 5 layers, hidden 64, 8 query and 4 KV heads of 8, MLP 172; 6 N D per step with D = 2 * 16 tokens
    const perStep = 6 * 5 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 172 + 2 * 64) * 32;
    json.phases[0]!.flops = 3.5 * perStep;
    const r = parseRecipe(json, join(root, 'static-budget.json'));
    const summary = await runRecipe(r, { backend });
    expect(summary.steps).toBe(4);
    expect(summary.flops).toBe(4 * perStep);
  });

  it('a NaN/inf loss stops the run with a clear error and keeps the last good checkpoint', async () => {
    const r = parseRecipe(recipe('diverge', { steps: 30, every: 1, optimizer: { kind: 'adamw', adamLr: 1e30, clip: 1e30 } }), join(root, 'diverge.json'));
    await expect(runRecipe(r, { backend })).rejects.toMatchObject({ code: 'LOSS_NOT_FINITE' });
    const kept = listCheckpoints(r.out);
    expect(kept.length).toBeGreaterThan(0);
    const last = loadLatestCheckpoint(r.out)!;
    expect(last.state.step).toBeGreaterThanOrEqual(1);
    for (const { data } of last.params.values()) expect(data.every(Number.isFinite)).toBe(true);
  });
});

describe('recipe errors are reported before any work', () => {
  const write = (name: string, json: unknown): string => {
    const p = join(root, `${name}.json`);
    writeFileSync(p, JSON.stringify(json));
    return p;
  };
  const base = (): Record<string, unknown> => ({
    out: 'runs/x',
    model: { path: fixture('models/stories260K-hf'), plan: '1,2,1' },
    phases: [{ name: 'p', steps: 10, data: [{ path: fixture('text/tinystories/toyrnn_tinystories_sample_2MiB.txt') }] }],
  });

  it('an unknown field is named', () => {
    const json = base();
    (json.phases as Record<string, unknown>[])[0]!.stpes = 3;
    expect(() => loadRecipe(write('unknown', json))).toThrowError(
      expect.objectContaining({ code: 'RECIPE_INVALID', message: expect.stringMatching(/phases\.0.*"stpes"/) }),
    );
  });

  it('a phase without steps or a FLOPs budget is refused', () => {
    const json = base();
    delete (json.phases as Record<string, unknown>[])[0]!.steps;
    expect(() => loadRecipe(write('no-steps', json))).toThrowError(
      expect.objectContaining({ code: 'RECIPE_INVALID', message: expect.stringContaining('set steps, a flops budget, or both') }),
    );
  });

  it('a bad value names its field', () => {
    const json = base();
    (json.phases as Record<string, unknown>[])[0]!.steps = -1;
    expect(() => loadRecipe(write('bad-value', json))).toThrowError(expect.objectContaining({ message: expect.stringContaining('phases.0.steps') }));
  });

  it('a missing data file is named before the model loads', async () => {
    const json = base();
    (json.phases as Record<string, unknown>[])[0]!.data = [{ path: 'no/such/file.jsonl' }];
    const r = loadRecipe(write('missing-data', json));
    await expect(runRecipe(r, { backend })).rejects.toMatchObject({ code: 'DATA_NOT_FOUND', message: expect.stringContaining('no/such/file.jsonl') });
  });

  itWithFixtures('a plan that does not fit the model is refused', ['models/stories260K-hf'], async () => {
    const json = base();
    (json.model as Record<string, unknown>).plan = '2,4,2';
    const r = loadRecipe(write('plan', json));
    await expect(runRecipe(r, { backend })).rejects.toMatchObject({ code: 'BAD_PLAN', message: expect.stringContaining("exceeds the model's 5 layers") });
  });
});
