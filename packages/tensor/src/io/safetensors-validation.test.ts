import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RRError } from '../errors.js';
import { openSafetensors, parseSafetensors, serializeSafetensors, type SafetensorsFile } from './safetensors.js';
import { expectRRError, makeTempDir, openFdCount, rawSafetensors } from './test-fixtures.js';

const F32x2 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

interface BadCase {
  name: string;
  bytes: () => Uint8Array;
  code: string;
  /** The tensor the message must name, when the fault is in one tensor's entry. */
  tensor?: string;
}

const cases: BadCase[] = [
  { name: 'empty file', bytes: () => new Uint8Array(0), code: 'SAFETENSORS_TRUNCATED' },
  { name: 'shorter than the 8-byte prefix', bytes: () => new Uint8Array([8, 0, 0]), code: 'SAFETENSORS_TRUNCATED' },
  { name: 'header length past the end of the file', bytes: () => rawSafetensors({}, 0, { headerLength: 1000 }), code: 'SAFETENSORS_HEADER_TOO_LONG' },
  {
    name: 'header length beyond 2^53',
    bytes: () => {
      const b = rawSafetensors({});
      new DataView(b.buffer).setBigUint64(0, 1n << 63n, true);
      return b;
    },
    code: 'SAFETENSORS_HEADER_TOO_LONG',
  },
  {
    name: 'header not UTF-8',
    bytes: () => {
      const b = rawSafetensors('{"a":"xx"}');
      b.set([0xff, 0xfe], 13);
      return b;
    },
    code: 'SAFETENSORS_BAD_HEADER',
  },
  { name: 'header not JSON', bytes: () => rawSafetensors('{"a": {"dtype":'), code: 'SAFETENSORS_BAD_HEADER' },
  { name: 'header a JSON array', bytes: () => rawSafetensors('[1, 2]'), code: 'SAFETENSORS_BAD_HEADER' },
  { name: 'header JSON null', bytes: () => rawSafetensors('null'), code: 'SAFETENSORS_BAD_HEADER' },
  { name: 'header empty', bytes: () => rawSafetensors(''), code: 'SAFETENSORS_BAD_HEADER' },
  { name: 'entry not an object', bytes: () => rawSafetensors({ w: 5 }), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  { name: 'entry missing dtype', bytes: () => rawSafetensors({ w: { shape: [2], data_offsets: [0, 8] } }, 8), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  { name: 'entry missing shape', bytes: () => rawSafetensors({ w: { dtype: 'F32', data_offsets: [0, 8] } }, 8), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  { name: 'entry missing data_offsets', bytes: () => rawSafetensors({ w: { dtype: 'F32', shape: [2] } }, 8), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  { name: 'dtype not a string', bytes: () => rawSafetensors({ w: { ...F32x2, dtype: 4 } }, 8), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  { name: 'shape not an array', bytes: () => rawSafetensors({ w: { ...F32x2, shape: '2' } }, 8), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  { name: 'negative shape dim', bytes: () => rawSafetensors({ w: { ...F32x2, shape: [-2] } }, 8), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  { name: 'non-integer shape dim', bytes: () => rawSafetensors({ w: { ...F32x2, shape: [1.5] } }, 8), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  { name: 'data_offsets of wrong length', bytes: () => rawSafetensors({ w: { ...F32x2, data_offsets: [0] } }, 8), code: 'SAFETENSORS_BAD_HEADER', tensor: 'w' },
  {
    name: 'data_offsets not numbers',
    bytes: () => rawSafetensors({ w: { ...F32x2, data_offsets: ['0', '8'] } }, 8),
    code: 'SAFETENSORS_BAD_HEADER',
    tensor: 'w',
  },
  {
    name: '__metadata__ value not a string',
    bytes: () => rawSafetensors({ __metadata__: { step: 3 }, w: F32x2 }, 8),
    code: 'SAFETENSORS_BAD_HEADER',
    tensor: 'step',
  },
  { name: 'unknown dtype Q4', bytes: () => rawSafetensors({ w: { ...F32x2, dtype: 'Q4' } }, 8), code: 'SAFETENSORS_UNKNOWN_DTYPE', tensor: 'w' },
  {
    name: 'unknown dtype f32 (case matters)',
    bytes: () => rawSafetensors({ w: { ...F32x2, dtype: 'f32' } }, 8),
    code: 'SAFETENSORS_UNKNOWN_DTYPE',
    tensor: 'w',
  },
  {
    name: 'offsets end < begin',
    bytes: () => rawSafetensors({ w: { ...F32x2, data_offsets: [8, 0] } }, 8),
    code: 'SAFETENSORS_OFFSET_OUT_OF_RANGE',
    tensor: 'w',
  },
  { name: 'negative offset', bytes: () => rawSafetensors({ w: { ...F32x2, data_offsets: [-8, 0] } }, 8), code: 'SAFETENSORS_OFFSET_OUT_OF_RANGE', tensor: 'w' },
  {
    name: 'offsets past the end of the file (after a gap)',
    bytes: () => rawSafetensors({ a: F32x2, w: { ...F32x2, data_offsets: [1000, 1008] } }, 8),
    code: 'SAFETENSORS_OFFSET_OUT_OF_RANGE',
    tensor: 'w',
  },
  {
    name: 'offsets beyond 2^53',
    bytes: () => rawSafetensors(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,1e300]}}`, 8),
    code: 'SAFETENSORS_OFFSET_OUT_OF_RANGE',
    tensor: 'w',
  },
  {
    name: 'overlapping tensors',
    bytes: () => rawSafetensors({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, w: { ...F32x2, data_offsets: [8, 16] } }, 16),
    code: 'SAFETENSORS_OVERLAP',
    tensor: 'w',
  },
  {
    name: 'byte length != product(shape) * element size',
    bytes: () => rawSafetensors({ w: { ...F32x2, shape: [3] } }, 8),
    code: 'SAFETENSORS_SIZE_MISMATCH',
    tensor: 'w',
  },
  {
    name: 'element count overflowing 2^53',
    bytes: () => rawSafetensors({ w: { ...F32x2, shape: [2 ** 40, 2 ** 40] } }, 8),
    code: 'SAFETENSORS_SIZE_MISMATCH',
    tensor: 'w',
  },
  {
    name: 'data truncated (a cut-off download)',
    bytes: () => {
      const full = serializeSafetensors({
        a: { dtype: 'F32', shape: [4], data: new Float32Array(4) },
        w: { dtype: 'F32', shape: [4], data: new Float32Array(4) },
      });
      return full.subarray(0, full.length - 5);
    },
    code: 'SAFETENSORS_TRUNCATED',
    tensor: 'w',
  },
];

describe('bad safetensors files', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  it.each(cases)('$name -> $code', ({ name, bytes, code, tensor }) => {
    const mentions = tensor === undefined ? [] : [`"${tensor}"`];
    // In memory: the name given is what the message must show.
    const memName = `bad-${name.replace(/\W+/g, '-')}.safetensors`;
    const err = expectRRError(() => parseSafetensors(bytes(), memName), code, memName, ...mentions);
    if (tensor !== undefined && code !== 'SAFETENSORS_BAD_HEADER') expect(err.details.tensor).toBe(tensor);
    // On disk: the path, and the file descriptor must not leak (close happens on failure).
    const path = join(tmp.dir, memName);
    writeFileSync(path, bytes());
    const fdsBefore = openFdCount();
    expectRRError(() => openSafetensors(path), code, path, ...mentions);
    expect(openFdCount()).toBe(fdsBefore);
  });

  it.each(['F64', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2', 'U32'])(
    '%s is a valid format dtype: listed in the header, SAFETENSORS_UNSUPPORTED_DTYPE only when read',
    (dtype) => {
      const bits = dtype === 'F64' || dtype === 'I64' ? 64 : dtype === 'U32' ? 32 : 8;
      const bytes = rawSafetensors({ odd: { dtype, shape: [2], data_offsets: [0, bits / 4] }, ok: { ...F32x2, data_offsets: [16, 24] } }, 24);
      const file = parseSafetensors(bytes, 'mixed.safetensors');
      expect(file.tensors.get('odd')?.dtype).toBe(dtype);
      expect(file.readF32('ok')).toEqual(new Float32Array(2));
      expectRRError(() => file.readRaw('odd'), 'SAFETENSORS_UNSUPPORTED_DTYPE', 'mixed.safetensors', '"odd"', dtype);
      expectRRError(() => file.readF32('odd'), 'SAFETENSORS_UNSUPPORTED_DTYPE', 'mixed.safetensors', '"odd"');
    },
  );

  it('header padded with spaces (and leading whitespace) is fine', () => {
    const file = parseSafetensors(rawSafetensors(`  ${JSON.stringify({ w: F32x2 })}        `, 8));
    expect(file.tensors.get('w')?.shape).toEqual([2]);
  });

  it('never throws anything but RRError on corrupted bytes (fuzz)', () => {
    const good = serializeSafetensors(
      {
        a: { dtype: 'F32', shape: [3, 2], data: new Float32Array(6).fill(1.5) },
        b: { dtype: 'F16', shape: [4], data: new Uint16Array(4) },
        c: { dtype: 'BF16', shape: [], data: new Uint16Array(1) },
        d: { dtype: 'I32', shape: [0], data: new Int32Array(0) },
      },
      { k: 'v' },
    );
    let seed = 7;
    const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const printable = new TextEncoder().encode('{}[]",:0123456789-. eE"abdF16BI32_');
    let opened = 0;
    for (let trial = 0; trial < 3000; trial++) {
      let bytes = good.slice();
      const mode = rand(4);
      if (mode === 0) bytes = bytes.subarray(0, rand(bytes.length + 1));
      else {
        const edits = 1 + rand(4);
        for (let e = 0; e < edits; e++) {
          // Mostly inside the header (where the interesting parsing is), sometimes the prefix.
          const at = mode === 1 ? rand(8) : 8 + rand(bytes.length - 8);
          bytes[at] = mode === 3 ? printable[rand(printable.length)] : rand(256);
        }
      }
      let file: SafetensorsFile | undefined;
      try {
        file = parseSafetensors(bytes, 'fuzz');
        opened++;
        for (const name of file.tensors.keys()) {
          try {
            file.readRaw(name);
            file.readF32(name);
          } catch (err) {
            if (!(err instanceof RRError)) throw err;
          }
        }
      } catch (err) {
        if (!(err instanceof RRError)) {
          throw new Error(`trial ${trial}: ${String(err)} for header ${JSON.stringify(new TextDecoder().decode(bytes.subarray(8, 200)))}`);
        }
        expect(err.message).toContain('fuzz');
      }
    }
    expect(opened).toBeGreaterThan(0);
  });
});
