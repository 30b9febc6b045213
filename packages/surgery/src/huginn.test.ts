import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, createCpuBackend, openModelWeights, writeSafetensors } from '@rr/tensor';
import { type RecurrentLM, loadModel } from '@rr/model';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';
import { writeHuginnFixture } from './huginn-fixture.js';
import { retrofit } from './retrofit.js';
import { saveModelFolder, saveRetrofitted } from './save.js';

const backend = createCpuBackend({ threads: 1 });
const root = mkdtempSync(join(tmpdir(), 'rr-huginn-'));
afterAll(() => {
  backend.destroy();
  rmSync(root, { recursive: true, force: true });
});

/** Logits at recurrence r with a fixed initial-state stream (the same draws for both models). */
async function logits(model: RecurrentLM, tokens: number[], r: number): Promise<Float32Array> {
  const input = backend.upload(Int32Array.from(tokens), [1, tokens.length], 'i32');
  const out = model.forward(input, { recurrence: r, rng: Rng.fromSeed(5).stream('s0') });
  const values = (await out.read()) as Float32Array;
  out.dispose();
  input.dispose();
  return values;
}

describe.each(['llama', 'olmo2'] as const)('Huginn folders (%s) from the committed generator', (architecture) => {
  const fixture = writeHuginnFixture(join(root, architecture), { architecture, prelude: 1, block: 2, coda: 1 });

  it('rr reads the folder as it is: the same model as its rr twin, at every r', async () => {
    const huginn = loadModel(fixture.huginn, backend).model;
    const twin = loadModel(fixture.rr, backend).model;
    expect(huginn.config.architecture).toBe(architecture);
    expect(huginn.structure).toEqual(twin.structure);
    for (const r of [1, 3]) expect(await logits(huginn, [1, 5, 9, 14, 3], r)).toEqual(await logits(twin, [1, 5, 9, 14, 3], r));
    huginn.dispose();
    twin.dispose();
  });

  it('rr writes that format: the same tensor names and values and the same config keys', async () => {
    const twin = loadModel(fixture.rr, backend).model;
    const out = join(root, `${architecture}-export`);
    await saveModelFolder(out, twin, { format: 'huginn' });
    twin.dispose();
    const written = openModelWeights(out);
    try {
      expect([...written.tensors.keys()].sort()).toEqual(Object.keys(fixture.tensors).sort());
      for (const [name, t] of Object.entries(fixture.tensors)) {
        expect(written.tensors.get(name)!.shape, name).toEqual(t.shape);
        expect(written.readF32(name), name).toEqual(t.data);
      }
    } finally {
      written.close();
    }
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    const { init_values: init, ...keys } = fixture.config;
    for (const [key, value] of Object.entries(keys)) expect(config[key], key).toEqual(value);
    expect(config.init_values.std).toBe((init as { std: number }).std);
    expect(config.init_values.embed_scale).toBe(1);
    // the authors' loader fails on tie_word_embeddings next to tie_embeddings
    expect(config).not.toHaveProperty('tie_word_embeddings');
  });
});

describeWithFixtures('round trip rr -> Huginn -> rr', ['models/stories260K-hf'], () => {
  it('a retrofit of stories260K (1,2,1) comes back with identical weights and logits', async () => {
    const base = loadModel(fixture('models/stories260K-hf'), backend);
    const r = retrofit(base.model, '1,2,1', { seed: 3 });
    const out = join(root, 'stories-huginn');
    await saveRetrofitted(out, r, { format: 'huginn', tokenizerFiles: base.tokenizerFiles });
    const back = loadModel(out, backend);
    expect(back.tokenizer).toBeDefined();
    expect(back.model.structure).toEqual(r.model.structure);
    expect([...back.model.params.keys()].sort()).toEqual([...r.model.params.keys()].sort());
    for (const [name, t] of r.model.params) expect(await back.model.params.get(name)!.read(), name).toEqual(await t.read());
    const tokens = back.tokenizer!.encode('Once upon a time, there was', { bos: true });
    for (const rec of [1, 2, 4]) expect(await logits(back.model, tokens, rec), `r = ${rec}`).toEqual(await logits(r.model, tokens, rec));
    back.model.dispose();
    r.model.dispose();
    // a config with the from-scratch Huginn's BOS/EOS (outside this vocabulary) falls back to the tokenizer's
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    writeFileSync(join(out, 'config.json'), JSON.stringify({ ...config, bos_token_id: 65504, eos_token_id: 65505 }));
    const fixed = loadModel(out, backend);
    expect([fixed.model.config.bosTokenId, fixed.model.config.eosTokenId, fixed.tokenizer!.bosId]).toEqual([1, 2, 1]);
    fixed.model.dispose();
  });
});

describe('Huginn format errors', () => {
  it('a from-scratch Huginn model (sandwich norms) is refused with a reason', () => {
    const fixture = writeHuginnFixture(join(root, 'sandwich'), { architecture: 'llama', prelude: 1, block: 1, coda: 1 });
    const weights = openModelWeights(fixture.huginn);
    const tensors = Object.fromEntries([...weights.tensors].map(([n, info]) => [n, { dtype: 'F32' as const, shape: info.shape, data: weights.readF32(n) }]));
    weights.close();
    tensors['transformer.core_block.0.norm_3.weight'] = { dtype: 'F32', shape: [16], data: new Float32Array(16) };
    writeSafetensors(join(fixture.huginn, 'model.safetensors'), tensors);
    expect(() => loadModel(fixture.huginn, backend)).toThrowError(
      expect.objectContaining({ code: 'CONFIG_UNSUPPORTED', message: expect.stringContaining('sandwich') }),
    );
  });

  it('embed_scale other than 1 is refused', () => {
    const fixture = writeHuginnFixture(join(root, 'scaled'), { architecture: 'llama', prelude: 1, block: 1, coda: 1 });
    writeFileSync(join(fixture.huginn, 'config.json'), JSON.stringify({ ...fixture.config, init_values: { std: 0.01, embed_scale: 72.66 } }));
    expect(() => loadModel(fixture.huginn, backend)).toThrowError(expect.objectContaining({ code: 'CONFIG_UNSUPPORTED' }));
  });

  it('a static model cannot be written as Huginn', async () => {
    const fixture = writeHuginnFixture(join(root, 'static'), { architecture: 'llama', prelude: 1, block: 1, coda: 1 });
    const cfg = JSON.parse(readFileSync(join(fixture.rr, 'config.json'), 'utf8'));
    delete cfg.rr;
    writeFileSync(join(fixture.rr, 'config.json'), JSON.stringify(cfg));
    const weights = openModelWeights(fixture.rr);
    const tensors = Object.fromEntries(
      [...weights.tensors]
        .filter(([n]) => n !== 'model.adapter.weight')
        .map(([n, info]) => [n, { dtype: 'F32' as const, shape: info.shape, data: weights.readF32(n) }]),
    );
    weights.close();
    writeSafetensors(join(fixture.rr, 'model.safetensors'), tensors);
    const model = loadModel(fixture.rr, backend).model;
    await expect(saveModelFolder(join(root, 'static-out'), model, { format: 'huginn' })).rejects.toMatchObject({ code: 'HUGINN_UNSUPPORTED' });
    model.dispose();
  });
});
