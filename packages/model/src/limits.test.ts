import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend, grad, memoryStats, noGrad, ops, requireGrad, scope } from '@rr/tensor';
import { initializeWeights } from './init.js';
import { KVCache } from './kv-cache.js';
import { MAX_RECURRENCE, checkContext, checkMemory, checkRecurrence, estimateMemory } from './limits.js';
import { RecurrentLM, S0_STD } from './recurrent-lm.js';
import { tinyConfig } from './test-config.js';

const backend = createCpuBackend({ threads: 1 });
afterAll(() => backend.destroy());

const config = tinyConfig();
const model = new RecurrentLM(config, initializeWeights(config, backend, { seed: 3, std: 0.2, adapter: true }), {
  prelude: [0],
  block: [1, 2],
  coda: [3],
  s0Std: S0_STD,
  initScale: 0,
});
const tokens = (n: number) =>
  backend.upload(
    Array.from({ length: n }, (_, i) => (i * 5) % 32),
    [1, n],
    'i32',
  );

/** Bytes held by the backend right after a forward returns, before its scope frees anything. */
function bytesHeldAfterForward(recurrence: number): number {
  const before = memoryStats(backend).bytes;
  let held = 0;
  noGrad(() =>
    scope(() => {
      model.forward(tokens(8), { recurrence });
      held = memoryStats(backend).bytes - before;
    }),
  );
  return held;
}

describe('memory of a no-gradient recurrence', () => {
  it('does not grow with r: the states of finished steps are freed as the recurrence goes', () => {
    const at4 = bytesHeldAfterForward(4);
    const at64 = bytesHeldAfterForward(64);
    expect(at64).toBe(at4);
  });

  it('gives the same logits as recorded steps', async () => {
    const free = await noGrad(() => scope(() => model.forward(tokens(6), { recurrence: 5 }))).read();
    const recorded = await scope(() => model.forward(tokens(6), { recurrence: 5 })).read();
    expect(Array.from(free)).toEqual(Array.from(recorded));
  });

  it('a recorded recurrence still keeps what backward needs', () => {
    const w = [...model.params.values()].map((t) => requireGrad(t));
    scope(() => {
      const g = grad(ops.sum(model.forward(tokens(4), { recurrence: 3 })), w);
      expect(g.length).toBe(w.length);
    });
    for (const t of w) requireGrad(t, false);
  });
});

describe('limits', () => {
  it('refuses positions beyond the context unless extrapolation is asked for', () => {
    expect(() => checkContext(config, 64, 'x')).not.toThrow();
    expect(() => checkContext(config, 65, '--max-tokens 65', { flag: '--allow-extrapolation' })).toThrowError(
      expect.objectContaining({ code: 'CONTEXT_TOO_LONG', message: expect.stringMatching(/--max-tokens 65 needs 65 positions.*is 64.*--allow-extrapolation/) }),
    );
    expect(() => checkContext(config, 65, 'x', { allowExtrapolation: true })).not.toThrow();
  });

  it('refuses a recurrence above the limit, and non-integers', () => {
    expect(() => checkRecurrence(MAX_RECURRENCE, 'r')).not.toThrow();
    expect(() => checkRecurrence(MAX_RECURRENCE + 1, 'r')).toThrowError(expect.objectContaining({ code: 'RECURRENCE_TOO_LARGE' }));
    for (const bad of [0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e99]) expect(() => checkRecurrence(bad, 'r')).toThrow();
  });

  it('estimates the KV cache as one slot per unrolled layer, and says what is needed and available', () => {
    const cache = new KVCache(backend, 1, 40, config.numKvHeads * config.headDim);
    noGrad(() => scope(() => model.forward(tokens(40), { recurrence: 3, cache })));
    const estimate = estimateMemory(model, { batch: 1, seq: 40, recurrence: 3, cachePositions: 40 });
    // exactly what the cache allocated: prelude + 2 x 3 block layers + coda slots
    expect(estimate.parts.kvCache).toBe(cache.slots * 2 * 40 * config.numKvHeads * config.headDim * 4);
    cache.dispose();
    const huge = estimateMemory(model, { batch: 1, seq: 40, recurrence: 1e9, cachePositions: 40 });
    expect(() => checkMemory(huge, 1e9, 'recurrence 1e9', 'Use less.')).toThrowError(
      expect.objectContaining({
        code: 'MEMORY_LIMIT',
        message: expect.stringMatching(/would need about .* TB \(mostly kvCache.*but 1.0 GB is available\. Use less\./),
      }),
    );
    expect(() => checkMemory(estimate, 1e9, 'x', 'y')).not.toThrow();
  });

  it('grows the training estimate with batch, seq and recorded steps, not with no-gradient steps', () => {
    const train = (batch: number, seq: number, recurrence: number, recordedSteps: number) =>
      estimateMemory(model, { batch, seq, recurrence, recordedSteps, allLogits: true, optimizerSlots: 3 }).bytes;
    expect(train(4, 16, 8, 8)).toBeGreaterThan(train(2, 16, 8, 8));
    expect(train(2, 32, 8, 8)).toBeGreaterThan(train(2, 16, 8, 8));
    expect(train(2, 16, 8, 8)).toBeGreaterThan(train(2, 16, 8, 4));
    expect(train(2, 16, 1000, 8)).toBe(train(2, 16, 8, 8));
  });
});
