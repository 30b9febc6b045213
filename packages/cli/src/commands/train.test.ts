import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cli } from '../testing/cli.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';

const root = mkdtempSync(join(tmpdir(), 'rr-cli-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeWithFixtures('rr train', ['models/stories260K/stories260K.bin', 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt'], () => {
  it('runs a recipe, prints JSON lines and writes the model; --resume of a finished run does nothing', async () => {
    const recipe = join(root, 'recipe.json');
    writeFileSync(
      recipe,
      JSON.stringify({
        out: 'run',
        model: { path: fixture('models/stories260K/stories260K.bin'), plan: '1,2,1', adapterInit: 'embed' },
        phases: [{ name: 'p', steps: 3, seq: 16, batch: 2, data: [{ path: fixture('text/tinystories/toyrnn_tinystories_sample_2MiB.txt') }] }],
      }),
    );
    const { out, err, code } = await cli(['train', '--recipe', recipe, '--json']);
    expect(code, err).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => 'loss' in l).map((l) => l.step)).toEqual([1, 2, 3]);
    expect(lines[lines.length - 1]).toMatchObject({ done: true, steps: 3, model: join(root, 'run', 'model') });
    const again = await cli(['train', '--recipe', recipe, '--resume', '--json']);
    expect(again.code, again.err).toBe(0);
  });

  it('reports recipe errors by field', async () => {
    const recipe = join(root, 'bad.json');
    writeFileSync(recipe, JSON.stringify({ out: 'x', model: { path: 'm' }, phases: [] }));
    const { err, code } = await cli(['train', '--recipe', recipe]);
    expect(code).toBe(1);
    expect(err).toMatch(/phases.*RECIPE_INVALID/);
  });
});
