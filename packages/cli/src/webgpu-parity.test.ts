import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Backend, isRRError } from '@rr/tensor';
import { Muon, type Param } from '@rr/muon';
import { createBackend } from './backends.js';
import { cli } from './testing/cli.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';

/**
 * The model-level checks on the WebGPU backend (lavapipe without a GPU): the golden
 * stories260K generation from both formats with and without the KV cache, the Muon test vector,
 * and a few training steps. Without an adapter they skip, except on CI where they fail.
 */
const root = mkdtempSync(join(tmpdir(), 'rr-webgpu-parity-'));
let gpu: Backend | undefined;
let unavailable = '';
beforeAll(async () => {
  try {
    gpu = await createBackend('webgpu');
  } catch (e) {
    if (process.env.CI === 'true' || !isRRError(e)) throw e;
    unavailable = (e as Error).message;
  }
});
afterAll(() => {
  gpu?.destroy();
  rmSync(root, { recursive: true, force: true });
});

const GOLDEN =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.';

describeWithFixtures(
  'WebGPU parity',
  ['models/stories260K-hf', 'models/stories260K/stories260K.bin', 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt'],
  () => {
    for (const model of ['models/stories260K-hf', 'models/stories260K/stories260K.bin']) {
      for (const cache of [true, false]) {
        it(`stories260K ${model.endsWith('.bin') ? 'llama2.c' : 'HF'} ${cache ? 'with' : 'without'} KV cache greedy-generates the known text (100 tokens)`, async (ctx) => {
          if (!gpu) ctx.skip(unavailable);
          const args = ['generate', '--model', fixture(model), '--backend', 'webgpu', '--max-tokens', '100', '--json', ...(cache ? [] : ['--no-cache'])];
          const { out, err, code } = await cli(args);
          expect(code, err).toBe(0);
          const text = JSON.parse(out).text as string;
          expect(JSON.parse(out).tokens).toHaveLength(100);
          const shared = Math.min(text.length, GOLDEN.length);
          expect(text.slice(0, shared)).toBe(GOLDEN.slice(0, shared));
          expect(text.length).toBeGreaterThan(GOLDEN.length);
        });
      }
    }

    it('two Muon steps reproduce the issue test vector (4x6)', async (ctx) => {
      if (!gpu) ctx.skip(unavailable);
      const be = gpu!;
      const G = Array.from({ length: 24 }, (_, t) => Math.sin(0.37 * t + 0.1 * Math.floor(t / 6)));
      const p = be.upload(
        G.map((g) => 0.5 * g),
        [4, 6],
        'f32',
      );
      const params: Param[] = [{ name: 'w', tensor: p }];
      const muon = new Muon({ lr: 0.02, weightDecay: 0.1, momentum: 0.95 });
      for (const grad of [G, G.map((g) => Math.cos(3 * g))]) {
        const gt = be.upload(grad, [4, 6], 'f32');
        muon.step(params, [gt]);
        gt.dispose();
      }
      const out = Array.from(await p.read());
      const row0 = [-0.009091, 0.170208, 0.340417, 0.448304, 0.48807, 0.480148];
      row0.forEach((v, j) => expect(out[j]).toBeCloseTo(v, 4));
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(2.546292, 3);
      muon.dispose();
    });

    it('a few training steps of the stories260K (1,2,1) recipe run', async (ctx) => {
      if (!gpu) ctx.skip(unavailable);
      const recipe = join(root, 'recipe.json');
      writeFileSync(
        recipe,
        JSON.stringify({
          out: 'run',
          model: { path: fixture('models/stories260K-hf'), plan: '1,2,1' },
          phases: [
            {
              name: 'p',
              steps: 2,
              seq: 16,
              batch: 2,
              curriculum: { maxMean: 2 },
              data: [{ path: fixture('text/tinystories/toyrnn_tinystories_sample_2MiB.txt') }],
            },
          ],
        }),
      );
      const { out, err, code } = await cli(['train', '--recipe', recipe, '--backend', 'webgpu', '--json']);
      expect(code, err).toBe(0);
      const steps = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => 'loss' in l);
      expect(steps.map((s) => s.step)).toEqual([1, 2]);
      expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    }, 600_000); // lavapipe compiles every forward and backward pipeline on first use
  },
);
