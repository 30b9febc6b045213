import { afterAll, describe, expect, it } from 'vitest';
import { FixedSampler, PoissonLognormalSampler } from '@rr/curriculum';
import { RecurrentLM, initializeWeights } from '@rr/model';
import { MuonWithAdamW } from '@rr/muon';
import { retrofit } from '@rr/surgery';
import { createCpuBackend } from '@rr/tensor';
import { partParams, stepsForBudget, trainingFlops } from './flops.js';
import type { PackedRows, TokenPacker } from './data/packer.js';
import { Trainer } from './trainer.js';
import { testConfig } from './test-config.js';

const backend = createCpuBackend({ threads: 1 });
afterAll(() => backend.destroy());

// h = 8, 2 heads of 4, kv heads 1, MLP 12: per layer q 8*8 + k 4*8 + v 4*8 + o 8*8 + gate/up/down 3*12*8 + 2 norms of 8
const PER_LAYER = 64 + 32 + 32 + 64 + 3 * 96 + 16;
const config = testConfig({
  hiddenSize: 8,
  numLayers: 4,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 4,
  intermediateSize: 12,
  vocabSize: 11,
});

/** Rows of random tokens, all scored: a stand-in for the packer (the Trainer only calls nextRows). */
function fakeData(seq: number): TokenPacker {
  let call = 0;
  return {
    rowLength: seq + 1,
    async nextRows(batch: number): Promise<PackedRows> {
      const tokens = new Int32Array(batch * (seq + 1)).map((_, i) => 3 + ((i * 7 + call) % 8));
      call++;
      return { tokens, scored: new Uint8Array(tokens.length).fill(1) } as PackedRows;
    },
  } as unknown as TokenPacker;
}

describe('FLOPs accounting (docs/method.md: 2 D (3 N1 + N2); static 6 N D)', () => {
  it('counts each part from the layer tensors, leaving out embeddings, head, final norm and adapter', () => {
    const model = new RecurrentLM(config, initializeWeights(config, backend, { seed: 1 }));
    expect(partParams(model)).toEqual({ prelude: 4 * PER_LAYER, block: 0, coda: 0 });
    const r = retrofit(model, '1,2,1', { adapterInit: 'embed', initScale: 0, seed: 1 });
    expect(partParams(r.model)).toEqual({ prelude: PER_LAYER, block: 2 * PER_LAYER, coda: PER_LAYER });
    r.model.dispose();
  });

  it('matches hand counts', () => {
    const parts = { prelude: 100, block: 1000, coda: 10 };
    // D = 64 tokens, n = 3 steps without gradient, k = 2 with: N1 = 100 + 2000 + 10, N2 = 3000
    expect(trainingFlops(parts, 64, 3, 2)).toBe(2 * 64 * (3 * 2110 + 3000));
    // a static model: 6 N D
    expect(trainingFlops({ prelude: 777, block: 0, coda: 0 }, 10, 0, 0)).toBe(6 * 777 * 10);
    expect(() => trainingFlops(parts, -1, 0, 1)).toThrowError(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });

  it('a static budget takes the fewest steps that reach it', () => {
    expect(stepsForBudget(1000, 100)).toBe(10);
    expect(stepsForBudget(1001, 100)).toBe(11);
    expect(stepsForBudget(1, 100)).toBe(1);
    expect(() => stepsForBudget(0, 100)).toThrowError(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});

describe('the Trainer counts FLOPs per step and stops at a budget', () => {
  const seq = 6;
  const batch = 2;
  const trainer = (model: RecurrentLM, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}): Trainer =>
    new Trainer({
      model,
      optimizer: new MuonWithAdamW({ muon: { lr: 1e-3 }, adamw: { lr: 1e-3 } }),
      sampler: new FixedSampler(1),
      curriculum: { at: () => 1 },
      lrSchedule: { at: () => 1 },
      data: fakeData(seq),
      batch,
      seed: 1,
      ...extra,
    });

  it('each step of a recurrent model reports 2 D (3 N1 + N2) from its sampled (n, k); gradient accumulation sums micro-batches', async () => {
    const r = retrofit(new RecurrentLM(config, initializeWeights(config, backend, { seed: 2 })), '1,2,1', { adapterInit: 'embed', initScale: 0, seed: 1 });
    const sampler = new PoissonLognormalSampler({ seed: 5, backpropDepth: 2 });
    const t = trainer(r.model, { sampler, curriculum: { at: () => 4 }, gradAccum: 2 });
    let total = 0;
    for (let step = 0; step < 3; step++) {
      const m = await t.trainStep();
      let hand = 0;
      for (let micro = 0; micro < 2; micro++) {
        const { noGrad: n, withGrad: k } = sampler.sample(step * 2 + micro, 4);
        expect(m.r[micro]).toBe(n + k);
        hand += 2 * (batch * seq) * (3 * (PER_LAYER + k * 2 * PER_LAYER + PER_LAYER) + n * 2 * PER_LAYER);
      }
      total += hand;
      expect(m.flops).toBe(hand);
      expect(m.total_flops).toBe(total);
    }
    expect(t.flops).toBe(total);
    r.model.dispose();
  });

  it('a static model costs 6 N D per step and the budget ends training at the step that reaches it', async () => {
    const model = new RecurrentLM(config, initializeWeights(config, backend, { seed: 3 }));
    const perStep = 6 * 4 * PER_LAYER * batch * seq;
    const budget = 2.5 * perStep;
    const t = trainer(model, { flopsBudget: budget });
    let steps = 0;
    while (!t.budgetReached) {
      const m = await t.trainStep();
      expect(m.flops).toBe(perStep);
      steps++;
    }
    expect(steps).toBe(stepsForBudget(budget, perStep));
    expect(steps).toBe(3);
    expect(t.flops).toBe(3 * perStep);
    expect(() => trainer(model, { flopsBudget: 0 })).toThrowError(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    model.dispose();
  });
});
