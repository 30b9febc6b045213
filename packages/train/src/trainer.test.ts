import { afterAll, describe, expect, it } from 'vitest';
import { Rng, createCpuBackend } from '@rr/tensor';
import { RecurrentLM, initializeWeights } from '@rr/model';
import { FixedSampler } from '@rr/curriculum';
import { AdamW } from '@rr/muon';
import { retrofit } from '@rr/surgery';
import type { PackedRows } from './data/packer.js';
import { type BatchSource, Trainer } from './trainer.js';
import { testConfig } from './test-config.js';

const backend = createCpuBackend();
afterAll(() => backend.destroy());

const config = testConfig({
  hiddenSize: 16,
  numLayers: 4,
  numHeads: 2,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 32,
  vocabSize: 24,
});

/** The same random batch every step: a model that learns drives its loss down. */
function fixedBatch(batch: number, rowLength: number): BatchSource {
  const rng = Rng.fromSeed(5).stream('trainer-test');
  const rows: PackedRows = {
    tokens: Int32Array.from({ length: batch * rowLength }, () => rng.integer(config.vocabSize)),
    scored: new Uint8Array(batch * rowLength).fill(1),
  };
  return {
    rowLength,
    nextRows: async (n) => {
      expect(n).toBe(batch);
      return rows;
    },
  };
}

describe('Trainer', () => {
  it('trains a static model from any batch source, with neither sampler nor curriculum nor LR schedule', async () => {
    const model = new RecurrentLM(config, initializeWeights(config, backend, { seed: 1 }));
    const optimizer = new AdamW({ lr: 1e-2 });
    const trainer = new Trainer({ model, optimizer, data: fixedBatch(2, 9), batch: 2 });
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const m = await trainer.trainStep();
      expect(m).toMatchObject({ step: i + 1, lr_scale: 1, mean_recurrence: 1 });
      losses.push(m.loss);
    }
    expect(losses[7]!).toBeLessThan(losses[0]! - 0.5);
    optimizer.dispose();
    model.dispose();
  });

  it('runs the sampler recurrence on a recurrent model', async () => {
    const { model } = retrofit(new RecurrentLM(config, initializeWeights(config, backend, { seed: 2 })), '1,2,1');
    const optimizer = new AdamW();
    const trainer = new Trainer({
      model,
      optimizer,
      sampler: new FixedSampler(3, { backpropDepth: 2 }),
      curriculum: { at: () => 3 },
      data: fixedBatch(1, 5),
      batch: 1,
      gradAccum: 2,
    });
    const m = await trainer.trainStep();
    expect(m.r).toEqual([3, 3]);
    expect(m.mean_recurrence).toBe(3);
    optimizer.dispose();
    model.dispose();
  });

  it('asks for a sampler and a curriculum when the model is recurrent', () => {
    const { model } = retrofit(new RecurrentLM(config, initializeWeights(config, backend, { seed: 3 })), '1,2,1');
    const optimizer = new AdamW();
    expect(() => new Trainer({ model, optimizer, data: fixedBatch(1, 5), batch: 1, curriculum: { at: () => 2 } })).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/recurrent model needs a sampler.*missing: sampler\)/) }),
    );
    optimizer.dispose();
    model.dispose();
  });
});
