import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type TensorToWrite, createCpuBackend, openModelWeights, writeSafetensors } from '@rr/tensor';
import { loadModel } from './load.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';

const backend = createCpuBackend({ threads: 1 });
const root = mkdtempSync(join(tmpdir(), 'rr-loaders-'));
afterAll(() => {
  backend.destroy();
  rmSync(root, { recursive: true, force: true });
});

describeWithFixtures('loader errors', ['models/stories260K-hf', 'models/stories260K/stories260K.bin'], () => {
  const hf = (): string => fixture('models/stories260K-hf');

  /** A copy of stories260K-hf with its weights edited by `edit` and its config by `config`. */
  function variant(name: string, edit: (t: Record<string, TensorToWrite>) => void, config: (c: Record<string, unknown>) => void = () => {}): string {
    const dir = join(root, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const src = openModelWeights(hf());
    const tensors: Record<string, TensorToWrite> = {};
    for (const [n, info] of src.tensors) tensors[n] = { dtype: 'F32', shape: info.shape, data: src.readF32(n) };
    src.close();
    edit(tensors);
    const c = JSON.parse(readFileSync(join(hf(), 'config.json'), 'utf8'));
    config(c);
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
    copyFileSync(join(hf(), 'tokenizer.json'), join(dir, 'tokenizer.json'));
    return dir;
  }

  it('a missing tensor is named', () => {
    const dir = variant('missing', (t) => delete t['model.layers.2.self_attn.q_proj.weight']);
    expect(() => loadModel(dir, backend)).toThrowError(
      expect.objectContaining({ code: 'MISSING_TENSOR', message: expect.stringContaining('model.layers.2.self_attn.q_proj.weight') }),
    );
  });

  it('a mis-shaped tensor is named with both shapes', () => {
    const dir = variant('misshaped', (t) => {
      t['model.layers.0.mlp.up_proj.weight'] = { dtype: 'F32', shape: [64, 172], data: new Float32Array(64 * 172) };
    });
    expect(() => loadModel(dir, backend)).toThrowError(
      expect.objectContaining({
        code: 'TENSOR_SHAPE_MISMATCH',
        message: expect.stringMatching(/model.layers.0.mlp.up_proj.weight has shape \[64, 172\].*\[172, 64\]/),
      }),
    );
  });

  it('an unknown architecture is refused by name', () => {
    const dir = variant(
      'arch',
      () => {},
      (c) => {
        c.architectures = ['MambaForCausalLM'];
        c.model_type = 'mamba';
      },
    );
    expect(() => loadModel(dir, backend)).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_ARCHITECTURE', message: expect.stringContaining('MambaForCausalLM') }),
    );
  });

  it('a config.json of {} says that it names no architecture', () => {
    const dir = variant(
      'empty-config',
      () => {},
      (c) => {
        for (const k of Object.keys(c)) delete c[k];
      },
    );
    expect(() => loadModel(dir, backend)).toThrowError(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/names no architecture.*"architectures".*"model_type"/) }),
    );
  });

  it.each([
    ['null', null],
    ['a string', 'x'],
    ['a null plan', { plan: null }],
    ['an infinite s0_std', { plan: { prelude: [0], block: [1, 2], coda: [3] }, s0_std: Number.POSITIVE_INFINITY }],
  ])('an rr section that is %s is CONFIG_INVALID', (_, rr) => {
    const dir = variant(
      'bad-rr',
      () => {},
      (c) => {
        c.rr = rr;
      },
    );
    // JSON turns Infinity into null; write the text by hand for that case
    if (typeof rr === 'object' && rr !== null && 's0_std' in rr) {
      const text = readFileSync(join(dir, 'config.json'), 'utf8').replace('"s0_std":null', '"s0_std":1e999');
      writeFileSync(join(dir, 'config.json'), text);
    }
    expect(() => loadModel(dir, backend)).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('a tokenizer the user names must exist, and is used when it does', () => {
    expect(() => loadModel(hf(), backend, { tokenizerPath: join(root, 'absent.json') })).toThrowError(
      expect.objectContaining({ code: 'FILE_NOT_FOUND', message: expect.stringContaining('absent.json') }),
    );
    const own = join(root, 'own-tokenizer.json');
    copyFileSync(join(hf(), 'tokenizer.json'), own);
    const { tokenizer, tokenizerFiles } = loadModel(hf(), backend, { tokenizerPath: own });
    expect(tokenizer!.encode('Once upon a time')).toEqual(loadModel(hf(), backend).tokenizer!.encode('Once upon a time'));
    expect(tokenizerFiles).toEqual([{ from: own, as: 'tokenizer.json' }]);
  });

  it('F16 and BF16 weights load as f32', async () => {
    const dir = variant('half', (t) => {
      const name = 'model.layers.1.self_attn.o_proj.weight';
      t[name] = { ...t[name]!, dtype: 'BF16' };
    });
    const { model } = loadModel(dir, backend);
    const original = loadModel(hf(), backend).model;
    const a = await model.param('model.layers.1.self_attn.o_proj.weight').read();
    const b = await original.param('model.layers.1.self_attn.o_proj.weight').read();
    let maxRel = 0;
    for (let i = 0; i < a.length; i++) maxRel = Math.max(maxRel, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-3));
    expect(maxRel).toBeLessThan(1 / 128);
  });

  it('a truncated llama2.c checkpoint says where it ends', () => {
    const bytes = readFileSync(fixture('models/stories260K/stories260K.bin'));
    const path = join(root, 'truncated.bin');
    writeFileSync(path, bytes.subarray(0, 100_000));
    expect(() => loadModel(path, backend)).toThrowError(
      expect.objectContaining({ code: 'CHECKPOINT_TRUNCATED', message: expect.stringContaining('ends inside') }),
    );
  });

  it('a path that is neither a folder nor a .bin is refused', () => {
    const path = join(root, 'weights.pt');
    writeFileSync(path, 'x');
    expect(() => loadModel(path, backend)).toThrowError(expect.objectContaining({ code: 'UNKNOWN_MODEL_FORMAT' }));
  });
});
