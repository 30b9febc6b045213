import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cli } from '../testing/cli.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';
import { pickAdapter } from '@rr/kernels-webgpu';
import { autoBackendFor } from '../backends.js';

const root = mkdtempSync(join(tmpdir(), 'rr-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeWithFixtures('rr surgery / generate / forward on stories260K', ['models/stories260K-hf', 'models/stories260K/stories260K.bin'], () => {
  const hf = (): string => fixture('models/stories260K-hf');
  const bin = (): string => fixture('models/stories260K/stories260K.bin');

  it('rr generate greedy-decodes the known story from both formats', async () => {
    for (const model of [hf(), bin()]) {
      const { out, code, err } = await cli(['generate', '--model', model, '--max-tokens', '30', '--json']);
      expect(code, err).toBe(0);
      expect(JSON.parse(out).text).toMatch(/^Once upon a time, there was a little girl named Lily/);
    }
  });

  it('rr generate with no --backend says which backend and adapter it chose: the CPU unless the adapter is a real GPU', async () => {
    const adapter = await pickAdapter().catch(() => undefined);
    const expected = autoBackendFor(adapter?.info).backend;
    const { out, code, err } = await cli(['generate', '--model', hf(), '--max-tokens', '3', '--json']);
    expect(code, err).toBe(0);
    const r = JSON.parse(out);
    expect(r).toMatchObject({ backend: expected, adapter: expected === 'cpu' ? null : expect.any(String) });
    expect(err).toMatch(new RegExp(`^rr: backend ${expected}.*\\(--backend auto: .+\\)$`, 'm'));
  });

  it('rr surgery writes a recurrent folder from a llama2.c checkpoint that rr forward and rr generate run', async () => {
    const out = join(root, 'r121');
    const s = await cli(['surgery', '--model', bin(), '--plan', '1,2,1', '--adapter-init', 'embed', '--out', out, '--json']);
    expect(s.code, s.err).toBe(0);
    const report = JSON.parse(s.out);
    expect(report.dropped).toEqual([1]);
    expect(report.depth.find((d: { recurrence: number }) => d.recurrence === 8).layers).toBe(18);
    expect(existsSync(join(out, 'tokenizer.bin'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).rr.origin).toEqual([0, 2, 3, 4]);

    const tokens = '1,403,407,261';
    const recurrent = JSON.parse((await cli(['forward', '--model', out, '--tokens', tokens, '--init-scale', '0', '--json'])).out).logits as number[];
    const full = JSON.parse((await cli(['forward', '--model', hf(), '--tokens', tokens, '--json'])).out).logits as number[];
    expect(recurrent).toHaveLength(512);
    expect(full).toHaveLength(512);
    expect(
      recurrent.some((v, i) => Math.abs(v - full[i]!) > 1e-3),
      'dropping layer 1 changes the logits',
    ).toBe(true);

    const gen = await cli(['generate', '--model', out, '--recurrence', '2', '--max-tokens', '5', '--json']);
    expect(gen.code, gen.err).toBe(0);
    expect(JSON.parse(gen.out).tokens).toHaveLength(5);
  });

  it('errors name the problem and leave nothing behind', async () => {
    const out = join(root, 'bad');
    const plan = await cli(['surgery', '--model', hf(), '--plan', '3,3,3', '--out', out]);
    expect(plan.code).toBe(1);
    expect(plan.err).toMatch(/plan \(3,3,3\): P \+ R \+ C = 9 exceeds the model's 5 layers.*BAD_PLAN/);
    expect(existsSync(out)).toBe(false);
    const missing = await cli(['forward', '--model', join(root, 'nope'), '--tokens', '1']);
    expect(missing.err).toMatch(/no such model folder/);
    const tokens = await cli(['forward', '--model', hf(), '--tokens', '1,x']);
    expect(tokens.err).toMatch(/--tokens/);
    const range = await cli(['forward', '--model', hf(), '--tokens', '1,9999']);
    expect(range.err).toMatch(/outside the vocabulary/);
  });
});
