import { closeSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RRError } from '../errors.js';
import { f16ToF32, f32ToF16 } from './dtype-conversion.js';
import { openSafetensors, parseSafetensors, serializeSafetensors, writeSafetensors, type TensorToWrite } from './safetensors.js';
import { expectRRError, expectSameBits, makeTempDir, rawSafetensors } from './test-fixtures.js';
import { describeWithFixtures, fixture } from '../testing/fixtures.js';

const REAL_MODEL = fixture('models/stories260K-hf/model.safetensors');

/** One tensor of every dtype and shape kind, including scalars and zero-element tensors. */
function everyKind(): Record<string, TensorToWrite> {
  return {
    f32: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, -0, Infinity, 1e-40]) },
    f16: { dtype: 'F16', shape: [3], data: new Float32Array([1, -0.5, 65504]) },
    f16_bits: { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0x7e00]) },
    bf16: { dtype: 'BF16', shape: [1, 2], data: new Float32Array([1, -2]) },
    bf16_bits: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xff80]) },
    i32: { dtype: 'I32', shape: [4], data: new Int32Array([0, -1, 2147483647, -2147483648]) },
    scalar_f32: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
    scalar_f16: { dtype: 'F16', shape: [], data: new Uint16Array([0xc000]) },
    scalar_bf16: { dtype: 'BF16', shape: [], data: new Float32Array([0.5]) },
    scalar_i32: { dtype: 'I32', shape: [], data: new Int32Array([-7]) },
    empty_f32: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    empty_f16: { dtype: 'F16', shape: [3, 0], data: new Uint16Array(0) },
    empty_bf16: { dtype: 'BF16', shape: [0], data: new Float32Array(0) },
    empty_i32: { dtype: 'I32', shape: [2, 0, 2], data: new Int32Array(0) },
  };
}

function expectSameAsWritten(file: ReturnType<typeof parseSafetensors>, tensors: Record<string, TensorToWrite>): void {
  expect([...file.tensors.keys()].sort()).toEqual(Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const raw = file.readRaw(name);
    expect(raw.dtype, name).toBe(t.dtype);
    expect(raw.shape, name).toEqual(t.shape);
    const expected = (t.dtype === 'F16' || t.dtype === 'BF16') && t.data instanceof Float32Array ? undefined : t.data;
    if (expected) expectSameBits(raw.data, expected, name);
    if (t.dtype !== 'I32') {
      // Every value in everyKind() is exactly representable in its dtype, so f32 comes back unchanged.
      const f32 = file.readF32(name);
      const want = t.data instanceof Float32Array ? t.data : t.dtype === 'F16' ? f16ToF32(t.data as Uint16Array) : null;
      if (want) expectSameBits(f32, want, name);
    }
  }
}

describe('safetensors round trip', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('serialize -> parse keeps every dtype, scalars and empty tensors', () => {
    const tensors = everyKind();
    const file = parseSafetensors(serializeSafetensors(tensors, { format: 'pt', note: 'ünïcode' }), 'mem.safetensors');
    expect(file.metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expectSameAsWritten(file, tensors);
    expect(file.readF32('bf16_bits')).toEqual(new Float32Array([1, -Infinity]));
    expect(Number.isNaN(file.readF32('f16_bits')[1])).toBe(true);
    expect(file.readF32('empty_f32')).toEqual(new Float32Array(0));
  });

  it('writeSafetensors -> openSafetensors keeps every dtype (streamed write, on-demand reads)', () => {
    const tensors = everyKind();
    const path = join(tmp.dir, 'all.safetensors');
    writeSafetensors(path, tensors);
    expect(readFileSync(path).equals(serializeSafetensors(tensors)), 'file = serialised bytes').toBe(true);
    const file = openSafetensors(path);
    try {
      expect(file.path).toBe(path);
      expect(file.metadata).toEqual({});
      expectSameAsWritten(file, tensors);
    } finally {
      file.close();
    }
  });

  it('encodes F16/BF16 from f32 with round-to-nearest-even', () => {
    const values = new Float32Array([0.1, 1 / 3, -1e-6, 70000]);
    const file = parseSafetensors(serializeSafetensors({ h: { dtype: 'F16', shape: [4], data: values } }));
    expect(file.readRaw('h').data).toEqual(f32ToF16(values));
    expect(file.readF32('h')[3]).toBe(Infinity);
  });

  it('encodes F16 in chunks identically to one-shot encoding (tensors larger than a chunk)', () => {
    const n = (1 << 20) + 123;
    const values = new Float32Array(n).map((_, i) => Math.sin(i) * 1000);
    const path = join(tmp.dir, 'big.safetensors');
    writeSafetensors(path, { big: { dtype: 'F16', shape: [n], data: values } });
    const file = openSafetensors(path);
    expectSameBits(file.readRaw('big').data, f32ToF16(values), 'big');
    file.close();
  });

  it('opens a 5 GB file and reads a tensor past 4 GiB without loading the rest (sparse file)', () => {
    const huge = 5_000_000_000;
    const header = JSON.stringify({
      head: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      huge: { dtype: 'F32', shape: [huge / 4], data_offsets: [16, 16 + huge] },
      tail: { dtype: 'I32', shape: [4], data_offsets: [16 + huge, 32 + huge] },
    });
    const head = rawSafetensors(header, new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
    const dataStart = head.length - 16;
    const path = join(tmp.dir, 'huge.safetensors');
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, head);
      // Written at its offset, the tail leaves a 5 GB hole that the file system does not allocate.
      writeSync(fd, new Uint8Array(new Int32Array([7, -8, 9, -10]).buffer), 0, 16, dataStart + 16 + huge);
    } finally {
      closeSync(fd);
    }
    const file = openSafetensors(path);
    try {
      expect(file.tensors.get('tail')!.byteOffset).toBe(dataStart + 16 + huge);
      expect(file.readRaw('tail').data).toEqual(new Int32Array([7, -8, 9, -10]));
      expect(file.readF32('head')).toEqual(new Float32Array([1, 2, 3, 4]));
      expect(file.tensors.get('huge')!.byteLength).toBe(huge);
    } finally {
      file.close();
    }
  });

  it('lays out like the reference: F32, I32, BF16, F16 then by name; data 8-aligned; tensors aligned', () => {
    const bytes = serializeSafetensors(everyKind());
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const file = parseSafetensors(bytes);
    const order = [...file.tensors.values()].sort((a, b) => a.byteOffset - b.byteOffset || (a.name < b.name ? -1 : 1));
    const rank = { F32: 0, I32: 1, BF16: 2, F16: 3 } as Record<string, number>;
    for (let i = 1; i < order.length; i++) {
      const [a, b] = [order[i - 1], order[i]];
      expect(rank[a.dtype] < rank[b.dtype] || (rank[a.dtype] === rank[b.dtype] && a.name < b.name), `${a.name} before ${b.name}`).toBe(true);
    }
    for (const info of file.tensors.values()) expect(info.byteOffset % (info.dtype === 'F32' || info.dtype === 'I32' ? 4 : 2)).toBe(0);
  });

  it('is byte-identical to the reference implementation on its own test vectors', () => {
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    // From safetensors/src/tensor.rs test_serialization: header of exactly 64 bytes, no padding.
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    const expected = new Uint8Array([64, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode(header), ...new Uint8Array(data.buffer)]);
    expect(serializeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data } })).toEqual(expected);
    // test_serialization_forced_alignement: 65-byte header padded with 7 spaces to 72.
    const header2 = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
    const expected2 = new Uint8Array([72, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode(header2), ...new Uint8Array(data.buffer)]);
    expect(serializeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data } })).toEqual(expected2);
    // test_empty: no tensors, with and without metadata.
    expect(serializeSafetensors({})).toEqual(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]));
    const withMeta = serializeSafetensors({}, { framework: 'pt' });
    expect(new TextDecoder().decode(withMeta.subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
    expect(withMeta[0]).toBe(40);
  });

  it('reads files with gaps between tensors and trailing bytes (lenient layout)', () => {
    const header = JSON.stringify({
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] }, // 4-byte gap before it
    });
    const bytes = new Uint8Array(8 + header.length + 16); // 4 trailing bytes
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    const dv = new DataView(bytes.buffer, 8 + header.length);
    dv.setFloat32(0, 2.5, true);
    dv.setInt32(8, -3, true);
    const file = parseSafetensors(bytes, 'gappy.safetensors');
    expect(file.readF32('a')).toEqual(new Float32Array([2.5]));
    expect(file.readRaw('b').data).toEqual(new Int32Array([-3]));
  });

  it('returns fresh arrays the caller owns', () => {
    const bytes = serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
    const file = parseSafetensors(bytes);
    const first = file.readF32('a');
    first[0] = 99;
    expect(file.readF32('a')).toEqual(new Float32Array([1, 2]));
  });
});

describe('safetensors reader errors that are not about a corrupt file', () => {
  const bytes = serializeSafetensors({
    'model.layers.0.attn.q_proj.weight': { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
    'model.layers.0.attn.k_proj.weight': { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
    ids: { dtype: 'I32', shape: [1], data: new Int32Array([1]) },
  });

  it('missing tensor: names the file, the tensor and close names', () => {
    const file = parseSafetensors(bytes, 'ckpt.safetensors');
    const err = expectRRError(
      () => file.readF32('layers.0.attn.q_proj.weight'),
      'SAFETENSORS_MISSING_TENSOR',
      'ckpt.safetensors',
      '"layers.0.attn.q_proj.weight"',
      '"model.layers.0.attn.q_proj.weight"',
    );
    expect(err.details.tensor).toBe('layers.0.attn.q_proj.weight');
    expectRRError(() => file.readRaw('zzz'), 'SAFETENSORS_MISSING_TENSOR', 'ckpt.safetensors', '"zzz"', 'It has 3 tensors');
  });

  it('readF32 of an I32 tensor points to readRaw', () => {
    const file = parseSafetensors(bytes, 'ckpt.safetensors');
    expectRRError(() => file.readF32('ids'), 'SAFETENSORS_DTYPE_MISMATCH', 'ckpt.safetensors', '"ids"', 'readRaw');
  });

  it('reading after close fails clearly; close twice is fine', () => {
    const tmp = makeTempDir();
    try {
      const path = join(tmp.dir, 'c.safetensors');
      writeFileSync(path, bytes);
      const file = openSafetensors(path);
      file.close();
      file.close();
      expectRRError(() => file.readRaw('ids'), 'SAFETENSORS_CLOSED', path, '"ids"');
    } finally {
      tmp.cleanup();
    }
  });

  it('missing file and directory', () => {
    const tmp = makeTempDir();
    try {
      expectRRError(() => openSafetensors(join(tmp.dir, 'nope.safetensors')), 'FILE_NOT_FOUND', 'nope.safetensors');
      expectRRError(() => openSafetensors(tmp.dir), 'FILE_IS_DIRECTORY', tmp.dir);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('safetensors writer validation', () => {
  const ok = { dtype: 'F32', shape: [2], data: new Float32Array(2) } as const;
  it.each([
    ['unsupported dtype', { x: { ...ok, dtype: 'F64' } }, 'SAFETENSORS_UNSUPPORTED_DTYPE'],
    ['wrong array type', { x: { dtype: 'I32', shape: [2], data: new Float32Array(2) } }, 'SAFETENSORS_BAD_TENSOR'],
    ['bad shape', { x: { ...ok, shape: [-2] } }, 'SAFETENSORS_BAD_TENSOR'],
    ['length mismatch', { x: { ...ok, shape: [3] } }, 'SAFETENSORS_SIZE_MISMATCH'],
  ])('%s', (_, tensors, code) => {
    expectRRError(() => serializeSafetensors(tensors as unknown as Record<string, TensorToWrite>), code, '"x"');
  });

  it('reserved name and non-string metadata', () => {
    expectRRError(() => serializeSafetensors({ __metadata__: ok as unknown as TensorToWrite }), 'SAFETENSORS_BAD_TENSOR', '__metadata__');
    expectRRError(
      () => serializeSafetensors({ x: ok as unknown as TensorToWrite }, { step: 3 } as unknown as Record<string, string>),
      'SAFETENSORS_BAD_METADATA',
      '"step"',
    );
  });
});

describe('atomic write', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  const good = { a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } } satisfies Record<string, TensorToWrite>;

  it('leaves no temp files behind and replaces an existing file', () => {
    const path = join(tmp.dir, 'w.safetensors');
    writeSafetensors(path, good);
    writeSafetensors(path, { b: { dtype: 'I32', shape: [1], data: new Int32Array([5]) } });
    expect(readdirSync(tmp.dir)).toEqual(['w.safetensors']);
    const file = openSafetensors(path);
    expect([...file.tensors.keys()]).toEqual(['b']);
    file.close();
  });

  it('does not clobber a good file when producing the data throws half-way', () => {
    const path = join(tmp.dir, 'w.safetensors');
    writeSafetensors(path, good);
    const before = readFileSync(path);

    // "b" sorts after "a", so the header and all of "a" are already written when "b" blows up.
    const exploding = new Float32Array(1 << 16);
    Object.defineProperty(exploding, 'buffer', {
      get() {
        throw new Error('device lost');
      },
    });
    const err = expectRRError(
      () => writeSafetensors(path, { a: good.a, b: { dtype: 'F32', shape: [1 << 16], data: exploding } }),
      'FILE_WRITE_FAILED',
      path,
      'device lost',
    );
    expect((err.cause as Error).message).toBe('device lost');
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(tmp.dir)).toEqual(['w.safetensors']);
  });

  it('invalid input is rejected before any file is created', () => {
    const path = join(tmp.dir, 'w.safetensors');
    expect(() => writeSafetensors(path, { a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(RRError);
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('a missing directory is an RRError naming the path', () => {
    expectRRError(() => writeSafetensors(join(tmp.dir, 'no/such/dir/w.safetensors'), good), 'FILE_NOT_FOUND', 'no/such/dir');
  });
});

describeWithFixtures('real file: stories260K-hf/model.safetensors', ['models/stories260K-hf/model.safetensors'], () => {
  it('opens stories260K and reads the expected tensors', () => {
    const file = openSafetensors(REAL_MODEL);
    try {
      expect(file.tensors.size).toBe(47); // 5 layers x 9 + embed_tokens + norm (lm_head is tied)
      expect(file.metadata.format).toBe('pt');
      const embed = file.tensors.get('model.embed_tokens.weight')!;
      expect(embed).toMatchObject({ dtype: 'F32', shape: [512, 64], byteLength: 512 * 64 * 4 });
      expect(file.tensors.get('model.norm.weight')).toMatchObject({ dtype: 'F32', shape: [64] });
      expect(file.tensors.get('model.layers.0.mlp.down_proj.weight')).toMatchObject({ shape: [64, 172] });
      expect(file.tensors.get('model.layers.0.self_attn.k_proj.weight')).toMatchObject({ shape: [32, 64] });

      // Independent check of the offsets: decode the same bytes straight from the file.
      const all = readFileSync(REAL_MODEL);
      const direct = new Float32Array(all.buffer.slice(all.byteOffset + embed.byteOffset, all.byteOffset + embed.byteOffset + embed.byteLength));
      expectSameBits(file.readF32('model.embed_tokens.weight'), direct, 'embed');
    } finally {
      file.close();
    }
  });

  it('re-serialising its tensors gives identical data, byte for byte', () => {
    const file = openSafetensors(REAL_MODEL);
    const tensors: Record<string, TensorToWrite> = {};
    for (const name of file.tensors.keys()) tensors[name] = file.readRaw(name);
    const metadata = file.metadata;
    file.close();

    const bytes = serializeSafetensors(tensors, metadata);
    const reparsed = parseSafetensors(bytes, 'reserialised');
    expect(reparsed.metadata).toEqual(metadata);
    for (const [name, t] of Object.entries(tensors)) {
      expect(reparsed.tensors.get(name)!.shape).toEqual(t.shape);
      expectSameBits(reparsed.readRaw(name).data, t.data, name);
    }

    // All tensors are F32, so the reference order is plain name order, which is the original file's
    // order too: the data sections must be identical (only the header's key order may differ).
    const original = readFileSync(REAL_MODEL);
    const dataStart = (b: Uint8Array) => 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
    const ours = Buffer.from(bytes.buffer, bytes.byteOffset + dataStart(bytes));
    const theirs = original.subarray(dataStart(original));
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs), 'data sections differ').toBe(true);
  });
});
