import { RRError } from '../errors.js';
import { dtypeBits, isFormatDType, type SafetensorsFormatDType } from './safetensors-dtypes.js';

/**
 * Parsing and validation of a safetensors header. Everything a reader needs to trust the file is
 * checked here, once, when the file is opened, so reading a tensor later can only fail on I/O.
 *
 * Layout policy (deliberately more lenient than the reference implementation, which requires the
 * tensors to tile the data section exactly):
 * - gaps between tensors, and bytes after the last one, are allowed (some writers align tensors);
 * - overlapping byte ranges are rejected: two tensors sharing bytes is never what a writer meant;
 * - zero-byte tensors (a 0 dimension) occupy no bytes, so they overlap nothing.
 */

/** Where a tensor lives in its file. `byteOffset` is absolute (from the first byte of the file). */
export interface TensorInfo {
  name: string;
  /** One of the dtypes rr reads and writes, or another dtype of the format that rr lists but cannot read. */
  dtype: SafetensorsFormatDType;
  shape: number[];
  byteOffset: number;
  byteLength: number;
}

export interface ParsedHeader {
  metadata: Record<string, string>;
  tensors: Map<string, TensorInfo>;
}

/** The reference implementation refuses headers over 100 MB; a larger "length" is a corrupt file. */
export const MAX_HEADER_BYTES = 100_000_000;

const CORRUPT_HINT = 'The file is corrupt or was written by a non-conforming writer; re-export or re-download it.';

/** Reads the u64 header length; `null` when it cannot be a real length (beyond 2^53). */
export function readHeaderLength(prefix: Uint8Array): number | null {
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high >= 0x200000) return null;
  return high * 0x100000000 + low;
}

/**
 * Validates the 8-byte prefix against the file size and returns the header length. `file` is the
 * name used in messages.
 */
export function checkHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) {
    throw new RRError(
      'SAFETENSORS_TRUNCATED',
      `${file}: only ${fileSize} bytes, shorter than the 8-byte header-length prefix of a safetensors file. ${CORRUPT_HINT}`,
      { file, fileSize },
    );
  }
  const n = readHeaderLength(prefix);
  if (n === null || n > fileSize - 8 || n > MAX_HEADER_BYTES) {
    const shown = n === null ? 'more than 2^53' : String(n);
    throw new RRError(
      'SAFETENSORS_HEADER_TOO_LONG',
      `${file}: the header length prefix says ${shown} bytes, but ${
        n !== null && n <= fileSize - 8 ? `the limit is ${MAX_HEADER_BYTES}` : `only ${fileSize - 8} bytes follow it`
      }. This is not a safetensors file, or it is corrupt or truncated; re-export or re-download it.`,
      { file, headerLength: n, fileSize },
    );
  }
  return n;
}

function badHeader(file: string, what: string, details: Record<string, unknown> = {}): RRError {
  return new RRError('SAFETENSORS_BAD_HEADER', `${file}: ${what}. ${CORRUPT_HINT}`, { file, ...details });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates the JSON header. `headerBytes` are the N bytes after the prefix;
 * `dataStart` = 8 + N; `dataLength` = bytes in the file after the header.
 */
export function parseHeader(headerBytes: Uint8Array, dataStart: number, dataLength: number, file: string): ParsedHeader {
  let text: string;
  try {
    text = utf8.decode(headerBytes);
  } catch {
    throw badHeader(file, 'the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw badHeader(file, `the header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(json)) throw badHeader(file, `the header must be a JSON object, got ${describe(json)}`);

  const metadata = parseMetadata(json.__metadata__, file);
  const tensors = new Map<string, TensorInfo>();
  const ranges: Range[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') continue;
    const parsed = parseEntry(name, entry, file);
    ranges.push(parsed);
    tensors.set(name, {
      name,
      dtype: parsed.dtype,
      shape: parsed.shape,
      byteOffset: dataStart + parsed.begin,
      byteLength: parsed.end - parsed.begin,
    });
  }
  checkLayout(ranges, dataLength, file);
  return { metadata, tensors };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw badHeader(file, `"__metadata__" must be an object of strings, got ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw badHeader(file, `"__metadata__" entry "${key}" must be a string, got ${describe(v)}`, { key });
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data and cannot touch a prototype.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

interface Range {
  name: string;
  dtype: SafetensorsFormatDType;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, entry: unknown, file: string): Range {
  const where = `tensor "${name}"`;
  if (!isPlainObject(entry)) {
    throw badHeader(file, `${where}: the entry must be an object with dtype, shape and data_offsets, got ${describe(entry)}`, { tensor: name });
  }
  const { dtype, shape, data_offsets: offsets } = entry;

  if (typeof dtype !== 'string') throw badHeader(file, `${where}: "dtype" must be a string, got ${describe(dtype)}`, { tensor: name });
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badHeader(file, `${where}: "shape" must be an array of non-negative integers, got ${describe(shape)}`, { tensor: name });
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o))) {
    throw badHeader(file, `${where}: "data_offsets" must be [begin, end] integers, got ${describe(offsets)}`, { tensor: name });
  }
  if (!isFormatDType(dtype)) {
    throw new RRError('SAFETENSORS_UNKNOWN_DTYPE', `${file}: ${where} has dtype ${JSON.stringify(dtype)}, which is not a safetensors dtype. ${CORRUPT_HINT}`, {
      file,
      tensor: name,
      dtype,
    });
  }

  const [begin, end] = offsets as [number, number];
  if (begin < 0 || end < begin || !Number.isSafeInteger(end)) {
    throw new RRError(
      'SAFETENSORS_OFFSET_OUT_OF_RANGE',
      `${file}: ${where} has data_offsets [${begin}, ${end}]; they must satisfy 0 <= begin <= end. ${CORRUPT_HINT}`,
      { file, tensor: name, begin, end },
    );
  }

  const expected = expectedByteLength(shape as number[], dtypeBits(dtype));
  if (expected !== end - begin) {
    throw new RRError(
      'SAFETENSORS_SIZE_MISMATCH',
      `${file}: ${where} is ${dtype} with shape [${shape.join(', ')}], which needs ${
        expected ?? 'a non-whole or overflowing number of'
      } bytes, but data_offsets [${begin}, ${end}] span ${end - begin}. ${CORRUPT_HINT}`,
      { file, tensor: name, dtype, shape, expected, actual: end - begin },
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Bytes that `shape` elements of `bits` bits take, or null when not a whole, representable number. */
function expectedByteLength(shape: readonly number[], bits: number): number | null {
  if (shape.includes(0)) return 0;
  let elements = 1;
  for (const d of shape) {
    elements *= d;
    if (!Number.isSafeInteger(elements)) return null;
  }
  const totalBits = elements * bits;
  if (!Number.isSafeInteger(totalBits) || totalBits % 8 !== 0) return null;
  return totalBits / 8;
}

function checkLayout(ranges: Range[], dataLength: number, file: string): void {
  const occupied = ranges.filter((r) => r.end > r.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);

  // Overlaps: with ranges sorted by start, a range overlaps an earlier one iff it starts before
  // the furthest end seen so far.
  let furthest: Range | undefined;
  for (const r of occupied) {
    if (furthest && r.begin < furthest.end) {
      throw new RRError(
        'SAFETENSORS_OVERLAP',
        `${file}: tensor "${r.name}" (bytes ${r.begin}..${r.end}) overlaps tensor "${furthest.name}" (bytes ${furthest.begin}..${furthest.end}) in the data section. ${CORRUPT_HINT}`,
        { file, tensor: r.name, other: furthest.name },
      );
    }
    if (!furthest || r.end > furthest.end) furthest = r;
  }

  const pastEnd = ranges.filter((r) => r.end > dataLength || r.begin > dataLength).sort((a, b) => a.begin - b.begin);
  if (pastEnd.length === 0) return;
  const first = pastEnd[0];
  const maxEnd = ranges.reduce((max, r) => Math.max(max, r.end), 0);

  // A header whose tensors tile [0, maxEnd] without gaps describes a complete file, and a file that
  // ends early is then a cut-off copy (an interrupted download or copy). Otherwise some offset is
  // simply wrong.
  let cursor = 0;
  for (const r of occupied) {
    if (r.begin !== cursor) break;
    cursor = r.end;
  }
  if (cursor === maxEnd) {
    throw new RRError(
      'SAFETENSORS_TRUNCATED',
      `${file}: the header describes ${maxEnd} bytes of tensor data but the file has only ${dataLength}; tensor "${first.name}" (bytes ${first.begin}..${first.end})${
        pastEnd.length > 1 ? ` and ${pastEnd.length - 1} more` : ''
      } cut off. The file is incomplete (interrupted download or copy?); re-download or re-export it.`,
      { file, tensor: first.name, expectedDataBytes: maxEnd, actualDataBytes: dataLength },
    );
  }
  throw new RRError(
    'SAFETENSORS_OFFSET_OUT_OF_RANGE',
    `${file}: tensor "${first.name}" has data_offsets [${first.begin}, ${first.end}], past the end of the data section (${dataLength} bytes). ${CORRUPT_HINT}`,
    { file, tensor: first.name, begin: first.begin, end: first.end, dataLength },
  );
}
