import { afterAll, expect, it } from 'vitest';
import { createCpuBackend } from '@rr/tensor';
import { generate } from './generate.js';
import { loadModel } from './loaders/load.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';

const GOLDEN =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.';

describeWithFixtures('stories260K golden generation', ['models/stories260K-hf', 'models/stories260K/stories260K.bin'], () => {
  const backend = createCpuBackend();
  afterAll(() => backend.destroy());
  const formats = {
    'Hugging Face folder': () => fixture('models/stories260K-hf'),
    'llama2.c checkpoint': () => fixture('models/stories260K/stories260K.bin'),
  };
  for (const [format, path] of Object.entries(formats)) {
    for (const useCache of [true, false]) {
      it(`${format}, ${useCache ? 'with' : 'without'} KV cache: the first 100 tokens match llama2.c's greedy output`, async () => {
        const { model, tokenizer } = loadModel(path(), backend);
        const [out] = await generate(model, tokenizer!, [[1]], { maxNewTokens: 100, useCache });
        expect(out!.tokens).toHaveLength(100);
        const text = out!.text;
        const shared = Math.min(text.length, GOLDEN.length);
        expect(text.slice(0, shared)).toBe(GOLDEN.slice(0, shared));
        expect(shared).toBeGreaterThan(150);
        model.dispose();
      });
    }
  }
});
