import { afterAll, describe, expect, it } from 'vitest';
import { Rng, createCpuBackend, memoryStats, noGrad, scope } from '@rr/tensor';
import { decodeTokenWithAdaptiveExit, generateWithAdaptiveExit } from './adaptive-exit.js';
import { generate } from './generate.js';
import { initializeWeights } from './init.js';
import { KVCache } from './kv-cache.js';
import { ADAPTER } from './names.js';
import { RecurrentLM, S0_STD } from './recurrent-lm.js';
import type { TextTokenizer } from './tokenizer/tokenizer.js';
import { tinyConfig } from './test-config.js';

const backend = createCpuBackend({ threads: 1 });
afterAll(() => backend.destroy());

const config = tinyConfig({ maxPositionEmbeddings: 128 });

/**
 * Prelude [0], a 2-layer block [1, 2] and coda [3]; weights large enough for peaked outputs. The
 * random adapter makes a recurrence that never settles; `stateWeight` sets it to
 * [stateWeight * I | I] instead (x = stateWeight * s + e), a contraction for small weights.
 */
function recurrentModel(stateWeight?: number): RecurrentLM {
  const params = initializeWeights(config, backend, { seed: 7, std: 0.25, adapter: true });
  if (stateWeight !== undefined) {
    const h = config.hiddenSize;
    const w = new Float32Array(h * 2 * h);
    for (let i = 0; i < h; i++) {
      w[i * 2 * h + i] = stateWeight;
      w[i * 2 * h + h + i] = 1;
    }
    backend.assign(params.get(ADAPTER)!, backend.upload(w, [h, 2 * h], 'f32'));
  }
  return new RecurrentLM(config, params, { prelude: [0], block: [1, 2], coda: [3], s0Std: S0_STD, initScale: 1 });
}

/** One letter per id, special tokens skipped. */
const tokenizer: TextTokenizer = {
  vocabSize: 32,
  bosId: 1,
  eosId: 2,
  encode: (text) => [1, ...Array.from(text, (c) => 3 + (c.charCodeAt(0) % 29))],
  decode: (ids) =>
    ids
      .filter((i) => i > 2)
      .map((i) => String.fromCharCode(94 + i))
      .join(''),
};

const PROMPTS = [
  [1, 5, 9, 14, 3, 27],
  [1, 30, 4],
];

describe('adaptive exit', () => {
  const model = recurrentModel();
  afterAll(() => model.dispose());

  it('with kl = 0 never exits early and generates exactly what plain generation does at r', async () => {
    for (const r of [1, 3]) {
      const options = { maxNewTokens: 12, recurrence: r, rng: Rng.fromSeed(11) };
      const plain = await generate(model, tokenizer, PROMPTS, options);
      const adaptive = await generateWithAdaptiveExit(model, tokenizer, PROMPTS, { ...options, kl: 0 });
      for (let p = 0; p < PROMPTS.length; p++) {
        expect(adaptive[p]!.tokens).toEqual(plain[p]!.tokens);
        expect(adaptive[p]!.text).toBe(plain[p]!.text);
        expect(adaptive[p]!.stoppedBy).toBe(plain[p]!.stoppedBy);
        expect(adaptive[p]!.steps).toEqual(plain[p]!.tokens.map(() => r));
      }
    }
  });

  it('with kl = 0 computes every token bit for bit as RecurrentLM.forward: logits and every cache slot', async () => {
    const r = 3;
    const prompt = PROMPTS[0]!;
    // a large initial state, so that drawing it differently would show in the logits
    const initScale = 100;
    const width = config.numKvHeads * config.headDim;
    const caches = [0, 1].map(() => new KVCache(backend, 1, prompt.length + 2, width, 'f32'));
    try {
      for (const cache of caches)
        noGrad(() => scope(() => model.forward(backend.upload(prompt, [1, prompt.length], 'i32'), { recurrence: r, cache, initScale, rng: Rng.fromSeed(1) })));
      for (const [i, token] of [7, 19].entries()) {
        // a fresh copy of the same stream for each: drawing advances a stream
        const rng = (): Rng => Rng.fromSeed(2).stream('s0', i);
        const logits = noGrad(() =>
          scope(() => model.forward(backend.upload([token], [1, 1], 'i32'), { recurrence: r, cache: caches[0], initScale, rng: rng() })),
        );
        const plain = await logits.read();
        logits.dispose();
        const adaptive = await decodeTokenWithAdaptiveExit(model, token, caches[1]!, { maxRecurrence: r, kl: 0, initScale, rng: rng() });
        expect(adaptive.steps).toBe(r);
        expect(Array.from(adaptive.logits)).toEqual(Array.from(plain));
      }
      expect(caches[1]!.length).toBe(caches[0]!.length);
      for (let slot = 0; slot < 1 + 2 * r + 1; slot++) {
        for (const kv of ['k', 'v'] as const) expect(await caches[1]!.slot(slot)[kv].read()).toEqual(await caches[0]!.slot(slot)[kv].read());
      }
      expect(caches[1]!.slots).toBe(caches[0]!.slots);
    } finally {
      for (const cache of caches) cache.dispose();
    }
  });

  it('a huge threshold exits after the first step (the prompt still runs all of them)', async () => {
    const [out] = await generateWithAdaptiveExit(model, tokenizer, [PROMPTS[0]!], { maxNewTokens: 8, recurrence: 4, kl: 1e9 });
    expect(out!.tokens).toHaveLength(8);
    expect(out!.steps).toEqual([4, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('stops at stop strings and reports them like generate', async () => {
    const [probe] = await generate(model, tokenizer, [PROMPTS[1]!], { maxNewTokens: 6, recurrence: 2 });
    const stop = probe!.text.slice(2, 4);
    const options = { maxNewTokens: 6, recurrence: 2, stop: [stop] };
    const [plain] = await generate(model, tokenizer, [PROMPTS[1]!], options);
    const [adaptive] = await generateWithAdaptiveExit(model, tokenizer, [PROMPTS[1]!], { ...options, kl: 0 });
    expect(plain!.stoppedBy).toBe('stop');
    expect(adaptive).toMatchObject({ text: plain!.text, tokens: plain!.tokens, stoppedBy: 'stop' });
  });

  it("fills the skipped steps' cache slots at the exited position with the exit step's keys and values", async () => {
    const r = 3;
    const prompt = PROMPTS[0]!;
    const cache = new KVCache(backend, 1, prompt.length + 2, config.numKvHeads * config.headDim, 'f32');
    try {
      noGrad(() => scope(() => model.forward(backend.upload(prompt, [1, prompt.length], 'i32'), { recurrence: r, cache, lastPositionOnly: true })));
      const slots = (): Promise<Float32Array[]> =>
        Promise.all(Array.from({ length: 1 + 2 * r + 1 }, async (_, i) => (await cache.slot(i).k.read()) as Float32Array));
      const before = await slots();
      const out = await decodeTokenWithAdaptiveExit(model, 7, cache, { maxRecurrence: r, kl: 1e9, rng: Rng.fromSeed(3) });
      expect(out.steps).toBe(1);
      expect(out.logits).toHaveLength(config.vocabSize);
      expect(cache.length).toBe(prompt.length + 1);
      const after = await slots();
      const width = config.numKvHeads * config.headDim;
      const row = (slot: number, position: number): number[] => Array.from(after[slot]!.subarray(position * width, (position + 1) * width));
      const at = prompt.length;
      // slots: 0 prelude; 1 + 2 * step + layer for the block; 7 coda
      for (let layer = 0; layer < 2; layer++) {
        const exitStep = row(1 + layer, at);
        expect(exitStep.some((v) => v !== 0)).toBe(true);
        for (let step = 1; step < r; step++) expect(row(1 + 2 * step + layer, at)).toEqual(exitStep);
      }
      // the prompt's entries are untouched, and they do differ between steps
      for (let slot = 0; slot < after.length; slot++) expect(after[slot]!.subarray(0, at * width)).toEqual(before[slot]!.subarray(0, at * width));
      expect(row(3, 2)).not.toEqual(row(1, 2));
    } finally {
      cache.dispose();
    }
  });

  it('exits once successive steps agree: at the fixed point at once, later for a slower contraction', async () => {
    // adapter [0 | I]: every step sees the same input, so step 2 repeats step 1 exactly (KL = 0)
    const fixed = recurrentModel(0);
    const [out] = await generateWithAdaptiveExit(fixed, tokenizer, [PROMPTS[0]!], { maxNewTokens: 6, recurrence: 8, kl: 1e-12 });
    expect(out!.steps).toEqual([8, 2, 2, 2, 2, 2]);
    fixed.dispose();
    // adapter [0.3 I | I]: a contraction; the looser the threshold, the sooner tokens exit
    const contracting = recurrentModel(0.3);
    const meanSteps: number[] = [];
    for (const kl of [1e-5, 1e-3, 1e-1]) {
      const [g] = await generateWithAdaptiveExit(contracting, tokenizer, [PROMPTS[0]!], { maxNewTokens: 10, recurrence: 8, kl });
      meanSteps.push(g!.steps.slice(1).reduce((a, b) => a + b, 0) / 9);
    }
    contracting.dispose();
    expect(meanSteps[0]).toBe(8);
    expect(meanSteps[1]).toBeLessThan(meanSteps[0]!);
    expect(meanSteps[2]).toBeLessThan(meanSteps[1]!);
    expect(meanSteps[2]).toBeGreaterThanOrEqual(2);
  });

  it('refuses static models and bad thresholds', async () => {
    const flat = new RecurrentLM(config, initializeWeights(config, backend, { seed: 1 }));
    await expect(generateWithAdaptiveExit(flat, tokenizer, [[1]], { maxNewTokens: 2, recurrence: 2, kl: 1e-3 })).rejects.toMatchObject({
      code: 'NOT_RECURRENT',
    });
    await expect(generateWithAdaptiveExit(model, tokenizer, [[1]], { maxNewTokens: 2, recurrence: 2, kl: -1 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(generateWithAdaptiveExit(model, tokenizer, [[1]], { maxNewTokens: 2, recurrence: 0, kl: 1e-3 })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    flat.dispose();
  });

  it('frees every intermediate', async () => {
    const live = memoryStats(backend).storages;
    await generateWithAdaptiveExit(model, tokenizer, PROMPTS, { maxNewTokens: 5, recurrence: 3, kl: 1e-2 });
    expect(memoryStats(backend).storages).toBe(live);
  });
});
