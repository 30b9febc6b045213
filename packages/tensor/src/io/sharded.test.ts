import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSafetensors, writeSafetensors, type TensorToWrite } from './safetensors.js';
import { INDEX_FILE_NAME, openModelWeights, SINGLE_FILE_NAME, writeShardedSafetensors } from './sharded.js';
import { expectRRError, expectSameBits, makeTempDir, openFdCount } from './test-fixtures.js';
import { describeWithFixtures, fixture } from '../testing/fixtures.js';

const REAL_MODEL_DIR = fixture('models/stories260K-hf');

/** Six tensors of 64 bytes each (F32 x16, I32 x16, F16/BF16 x32), in a deliberate order. */
function model(): Record<string, TensorToWrite> {
  const f32 = (seed: number) => new Float32Array(16).map((_, i) => seed + i / 8);
  return {
    'embed.weight': { dtype: 'F32', shape: [4, 4], data: f32(1) },
    'layers.0.w': { dtype: 'F32', shape: [16], data: f32(2) },
    'layers.0.ids': { dtype: 'I32', shape: [2, 8], data: new Int32Array(16).map((_, i) => i - 8) },
    'layers.1.w': { dtype: 'F16', shape: [32], data: new Float32Array(32).map((_, i) => i) },
    'layers.1.b': { dtype: 'BF16', shape: [32], data: new Uint16Array(32).fill(0x3f80) },
    'norm.weight': { dtype: 'F32', shape: [16], data: f32(3) },
  };
}

function readIndex(dir: string): { metadata: Record<string, unknown>; weight_map: Record<string, string> } {
  return JSON.parse(readFileSync(join(dir, INDEX_FILE_NAME), 'utf8'));
}

describe('sharded safetensors', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('round trip through shards: files, index, and the same data back', () => {
    const tensors = model();
    const dir = join(tmp.dir, 'ckpt'); // created by the writer
    const { files } = writeShardedSafetensors(dir, tensors, { maxShardBytes: 150, metadata: { format: 'pt' } });

    // 64-byte tensors, 150-byte budget: two per shard, in insertion order.
    const shardNames = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'];
    expect(files).toEqual([...shardNames, INDEX_FILE_NAME].map((f) => join(dir, f)));
    expect(readdirSync(dir).sort()).toEqual([...shardNames, INDEX_FILE_NAME].sort());

    const index = readIndex(dir);
    expect(index.metadata).toEqual({ format: 'pt', total_size: 6 * 64 });
    expect(Object.keys(index.weight_map)).toEqual(Object.keys(tensors).sort());
    expect(index.weight_map['embed.weight']).toBe(shardNames[0]);
    expect(index.weight_map['layers.0.ids']).toBe(shardNames[1]);
    expect(index.weight_map['norm.weight']).toBe(shardNames[2]);
    const shard = openSafetensors(join(dir, shardNames[0]));
    expect(shard.metadata).toEqual({ format: 'pt' });
    shard.close();

    for (const target of [dir, join(dir, INDEX_FILE_NAME)]) {
      const source = openModelWeights(target);
      try {
        expect(source.metadata).toEqual({ format: 'pt', total_size: String(6 * 64) });
        expect([...source.tensors.keys()].sort()).toEqual(Object.keys(tensors).sort());
        expect(source.tensors.get('layers.1.w')).toMatchObject({ dtype: 'F16', shape: [32], file: join(dir, shardNames[1]) });
        for (const [name, t] of Object.entries(tensors)) {
          const raw = source.readRaw(name);
          expect(raw.shape).toEqual(t.shape);
          if (!(t.dtype === 'F16' && t.data instanceof Float32Array)) expectSameBits(raw.data, t.data, name);
        }
        expectSameBits(source.readF32('layers.1.w'), tensors['layers.1.w'].data, 'layers.1.w');
        expectSameBits(source.readF32('layers.1.b'), new Float32Array(32).fill(1), 'layers.1.b');
      } finally {
        source.close();
      }
    }
  });

  it('writes a single model.safetensors when everything fits', () => {
    const { files } = writeShardedSafetensors(tmp.dir, model(), { maxShardBytes: 6 * 64 });
    expect(files).toEqual([join(tmp.dir, SINGLE_FILE_NAME)]);
    expect(readdirSync(tmp.dir)).toEqual([SINGLE_FILE_NAME]);
    const source = openModelWeights(tmp.dir);
    expect(source.tensors.size).toBe(6);
    expect(source.tensors.get('norm.weight')?.file).toBe(join(tmp.dir, SINGLE_FILE_NAME));
    source.close();
    // A .safetensors path works directly too.
    const direct = openModelWeights(files[0]);
    expect(direct.readRaw('layers.0.ids').data).toEqual(model()['layers.0.ids'].data);
    direct.close();
  });

  it('a tensor larger than maxShardBytes gets a shard of its own', () => {
    const tensors = {
      small: model()['norm.weight'],
      huge: { dtype: 'F32', shape: [100], data: new Float32Array(100) } as TensorToWrite,
      tail: model()['layers.0.w'],
    };
    writeShardedSafetensors(tmp.dir, tensors, { maxShardBytes: 100 });
    const map = readIndex(tmp.dir).weight_map;
    expect(map).toEqual({
      small: 'model-00001-of-00003.safetensors',
      huge: 'model-00002-of-00003.safetensors',
      tail: 'model-00003-of-00003.safetensors',
    });
  });

  it('a new save removes stale weight files of the previous one, in both directions', () => {
    writeFileSync(join(tmp.dir, 'config.json'), '{}');
    writeShardedSafetensors(tmp.dir, model(), { maxShardBytes: 100 }); // 6 shards
    expect(readdirSync(tmp.dir)).toHaveLength(1 + 6 + 1);
    writeShardedSafetensors(tmp.dir, model(), { maxShardBytes: 200 }); // 2 shards: 6 old ones must go
    expect(readdirSync(tmp.dir).sort()).toEqual(
      ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', INDEX_FILE_NAME].sort(),
    );
    writeShardedSafetensors(tmp.dir, model(), { maxShardBytes: 1 << 20 }); // single
    expect(readdirSync(tmp.dir).sort()).toEqual(['config.json', SINGLE_FILE_NAME]);
    writeShardedSafetensors(tmp.dir, model(), { maxShardBytes: 200 }); // back to shards: model.safetensors must go
    expect(readdirSync(tmp.dir)).not.toContain(SINGLE_FILE_NAME);
    const source = openModelWeights(tmp.dir);
    expect(source.tensors.get('norm.weight')?.file).toContain('model-00002-of-00002');
    source.close();
  });

  it('validates everything before writing anything', () => {
    const bad = { ...model(), broken: { dtype: 'F32', shape: [3], data: new Float32Array(2) } as TensorToWrite };
    expectRRError(() => writeShardedSafetensors(join(tmp.dir, 'out'), bad, { maxShardBytes: 100 }), 'SAFETENSORS_SIZE_MISMATCH', '"broken"');
    expect(existsSync(join(tmp.dir, 'out'))).toBe(false);
    expectRRError(() => writeShardedSafetensors(tmp.dir, model(), { maxShardBytes: 0 }), 'SAFETENSORS_BAD_OPTION', 'maxShardBytes');
  });

  describe('inconsistent checkpoints', () => {
    let dir: string;
    beforeEach(() => {
      dir = join(tmp.dir, 'ckpt');
      writeShardedSafetensors(dir, model(), { maxShardBytes: 150 }); // 3 shards, 2 tensors each
    });

    it('index naming a missing shard', () => {
      rmSync(join(dir, 'model-00002-of-00003.safetensors'));
      const fds = openFdCount();
      expectRRError(() => openModelWeights(dir), 'SAFETENSORS_SHARD_MISSING', INDEX_FILE_NAME, 'model-00002-of-00003.safetensors', 'layers.');
      expect(openFdCount()).toBe(fds); // the shard opened before the failure was closed again
    });

    it('index mapping a tensor to a shard that lacks it', () => {
      const index = readIndex(dir);
      index.weight_map['norm.weight'] = 'model-00001-of-00003.safetensors';
      writeFileSync(join(dir, INDEX_FILE_NAME), JSON.stringify(index));
      const fds = openFdCount();
      expectRRError(
        () => openModelWeights(dir),
        'SAFETENSORS_INDEX_MISMATCH',
        '"norm.weight"',
        'model-00001-of-00003.safetensors',
        'it is in model-00003-of-00003.safetensors',
      );
      expect(openFdCount()).toBe(fds);
    });

    it('a tensor present in two shards', () => {
      // Rewrite shard 1 with an extra copy of a tensor that shard 3 holds.
      const m = model();
      writeSafetensors(join(dir, 'model-00001-of-00003.safetensors'), {
        'embed.weight': m['embed.weight'],
        'layers.0.w': m['layers.0.w'],
        'norm.weight': m['norm.weight'],
      });
      expectRRError(
        () => openModelWeights(dir),
        'SAFETENSORS_DUPLICATE_TENSOR',
        '"norm.weight"',
        'model-00001-of-00003.safetensors',
        'model-00003-of-00003.safetensors',
      );
    });

    it('a tensor absent from the shard the index names', () => {
      // Shard 3 loses norm.weight but the index still points there.
      const m = model();
      writeSafetensors(join(dir, 'model-00003-of-00003.safetensors'), { 'layers.1.b': m['layers.1.b'] });
      expectRRError(() => openModelWeights(dir), 'SAFETENSORS_INDEX_MISMATCH', INDEX_FILE_NAME, '"norm.weight"', 'model-00003-of-00003.safetensors');
    });

    it('a corrupt shard reports the shard path', () => {
      writeFileSync(join(dir, 'model-00003-of-00003.safetensors'), new Uint8Array(4));
      expectRRError(() => openModelWeights(dir), 'SAFETENSORS_TRUNCATED', 'model-00003-of-00003.safetensors');
    });

    it('bad index JSON, a bad weight_map, and shard paths escaping the directory', () => {
      const indexPath = join(dir, INDEX_FILE_NAME);
      writeFileSync(indexPath, '{"weight_map": ');
      expectRRError(() => openModelWeights(dir), 'SAFETENSORS_BAD_INDEX', indexPath);
      writeFileSync(indexPath, '{"metadata": {}}');
      expectRRError(() => openModelWeights(dir), 'SAFETENSORS_BAD_INDEX', indexPath, 'weight_map');
      writeFileSync(indexPath, JSON.stringify({ weight_map: { w: '../../etc/passwd' } }));
      expectRRError(() => openModelWeights(dir), 'SAFETENSORS_BAD_INDEX', indexPath, '"w"');
    });

    it('reading a name not in the weight_map lists close names', () => {
      const source = openModelWeights(dir);
      expectRRError(() => source.readF32('layers.0.weight'), 'SAFETENSORS_MISSING_TENSOR', INDEX_FILE_NAME, '"layers.0.weight"', '"layers.0.w"');
      source.close();
    });
  });

  it('a directory without weights names the directory, what was looked for and what is there', () => {
    writeFileSync(join(tmp.dir, 'adapter_model.safetensors'), new Uint8Array(0));
    expectRRError(() => openModelWeights(tmp.dir), 'FILE_NOT_FOUND', tmp.dir, SINGLE_FILE_NAME, INDEX_FILE_NAME, 'adapter_model.safetensors');
    mkdirSync(join(tmp.dir, 'empty'));
    expectRRError(() => openModelWeights(join(tmp.dir, 'empty')), 'FILE_NOT_FOUND', 'empty', SINGLE_FILE_NAME);
    expectRRError(() => openModelWeights(join(tmp.dir, 'nothing-here')), 'FILE_NOT_FOUND', 'nothing-here');
  });

  it('renaming the directory keeps it loadable (shard paths are relative to the index)', () => {
    writeShardedSafetensors(join(tmp.dir, 'a'), model(), { maxShardBytes: 150 });
    renameSync(join(tmp.dir, 'a'), join(tmp.dir, 'b'));
    const source = openModelWeights(join(tmp.dir, 'b'));
    expect(source.tensors.size).toBe(6);
    source.close();
  });
});

describeWithFixtures('real model directory', ['models/stories260K-hf'], () => {
  it('opens stories260K-hf by directory and re-shards it losslessly', () => {
    const source = openModelWeights(REAL_MODEL_DIR);
    const tmp = makeTempDir();
    try {
      expect(source.tensors.get('model.embed_tokens.weight')?.shape).toEqual([512, 64]);
      const tensors: Record<string, TensorToWrite> = {};
      for (const name of source.tensors.keys()) tensors[name] = source.readRaw(name);
      const { files } = writeShardedSafetensors(tmp.dir, tensors, { maxShardBytes: 256 * 1024, metadata: source.metadata });
      expect(files.length).toBeGreaterThan(2);
      const back = openModelWeights(tmp.dir);
      for (const [name, t] of Object.entries(tensors)) expectSameBits(back.readRaw(name).data, t.data, name);
      back.close();
    } finally {
      source.close();
      tmp.cleanup();
    }
  });
});
