import { RRError } from '../errors.js';
import { f32ToBf16, f32ToF16 } from './dtype-conversion.js';
import { HOST_IS_LITTLE_ENDIAN, swapBytesInPlace } from './endian.js';
import { bytesPerElement, dtypeRank, isSupportedDType, SUPPORTED_DTYPES, type SafetensorsDType } from './safetensors-dtypes.js';

/**
 * The writing half of the format: validates what the caller wants written, decides where each
 * tensor goes, builds the header, and produces each tensor's little-endian bytes in bounded chunks.
 * Both the in-memory serialiser and the streaming file writer consume this, so they cannot disagree.
 */

/**
 * A tensor to write. F32 takes a Float32Array and I32 an Int32Array. F16 and BF16 take either a
 * Float32Array (encoded with round-to-nearest-even) or a Uint16Array of raw bits (written as is).
 */
export interface TensorToWrite {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Int32Array | Uint16Array;
}

export interface PlannedTensor {
  name: string;
  tensor: TensorToWrite;
  /** Offsets within the data section, as written to the header. */
  begin: number;
  end: number;
}

export interface Layout {
  /** The 8-byte length prefix followed by the space-padded JSON header. */
  head: Uint8Array;
  /** In file order. */
  tensors: PlannedTensor[];
  /** head.length + all tensor bytes. */
  totalBytes: number;
}

/** Elements converted per chunk when encoding f32 to a 16-bit format: bounds the scratch memory. */
const ENCODE_CHUNK_ELEMENTS = 1 << 20;

function badTensor(name: string, what: string, details: Record<string, unknown> = {}): RRError {
  return new RRError('SAFETENSORS_BAD_TENSOR', `Cannot write tensor "${name}": ${what}`, { tensor: name, ...details });
}

/** Checks one tensor and returns its byte length in the file. */
export function validateTensorToWrite(name: string, tensor: TensorToWrite): number {
  if (name === '__metadata__') {
    throw badTensor(name, 'the name "__metadata__" is reserved by the safetensors format for the metadata; rename the tensor.');
  }
  if (typeof tensor !== 'object' || tensor === null) throw badTensor(name, `expected { dtype, shape, data }, got ${String(tensor)}.`);
  const { dtype, shape, data } = tensor;
  if (typeof dtype !== 'string' || !isSupportedDType(dtype)) {
    throw new RRError(
      'SAFETENSORS_UNSUPPORTED_DTYPE',
      `Cannot write tensor "${name}": dtype ${JSON.stringify(dtype)} is not one rr writes; use one of ${SUPPORTED_DTYPES.join(', ')}.`,
      { tensor: name, dtype },
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badTensor(name, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}.`);
  }
  const accepted =
    dtype === 'F32' ? data instanceof Float32Array : dtype === 'I32' ? data instanceof Int32Array : data instanceof Float32Array || data instanceof Uint16Array;
  if (!accepted) {
    const wanted = dtype === 'F32' ? 'a Float32Array' : dtype === 'I32' ? 'an Int32Array' : 'a Float32Array (to encode) or a Uint16Array (raw bits)';
    throw badTensor(name, `${dtype} data must be ${wanted}, got ${data?.constructor?.name ?? String(data)}.`);
  }
  const elements = shape.reduce((a, d) => a * d, 1);
  if (data.length !== elements) {
    throw new RRError(
      'SAFETENSORS_SIZE_MISMATCH',
      `Cannot write tensor "${name}": shape [${shape.join(', ')}] has ${elements} elements but the data has ${data.length}; fix the shape or the data.`,
      { tensor: name, shape, elements, dataLength: data.length },
    );
  }
  return elements * bytesPerElement(dtype);
}

function checkMetadata(metadata: Record<string, string>): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new RRError('SAFETENSORS_BAD_METADATA', `safetensors metadata must be an object of strings, got ${JSON.stringify(metadata)}.`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new RRError(
        'SAFETENSORS_BAD_METADATA',
        `safetensors metadata entry "${key}" must be a string, got ${typeof value}; the format only stores strings, so JSON.stringify it.`,
        { key },
      );
    }
  }
}

/**
 * Plans a file the way the reference implementation writes one: tensors sorted by descending dtype
 * alignment (F32, I32, BF16, F16), then by name; offsets packed with no gaps; header = compact JSON
 * with `__metadata__` first (only when metadata is given), padded with spaces so the data section
 * starts at a multiple of 8. The sort puts every tensor at a multiple of its own element size, so a
 * reader holding the whole file in an aligned buffer can view each tensor without copying.
 */
export function planLayout(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Layout {
  if (metadata !== undefined) checkMetadata(metadata);
  const entries = Object.entries(tensors).map(([name, tensor]) => ({
    name,
    tensor,
    bytes: validateTensorToWrite(name, tensor),
    // Names compare byte-wise as UTF-8, as the reference implementation's Rust strings do.
    key: Buffer.from(name, 'utf8'),
  }));
  entries.sort((a, b) => dtypeRank(b.tensor.dtype) - dtypeRank(a.tensor.dtype) || Buffer.compare(a.key, b.key));

  const planned: PlannedTensor[] = [];
  const parts: string[] = [];
  if (metadata !== undefined) {
    parts.push(
      `"__metadata__":{${Object.entries(metadata)
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
        .join(',')}}`,
    );
  }
  let offset = 0;
  for (const { name, tensor, bytes } of entries) {
    planned.push({ name, tensor, begin: offset, end: offset + bytes });
    parts.push(`${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`);
    offset += bytes;
  }

  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return { head, tensors: planned, totalBytes: head.length + offset };
}

function bytesOf(array: Float32Array | Int32Array | Uint16Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * The tensor's file bytes, in order, as chunks. A chunk may be a view of the caller's array or of
 * a scratch buffer that the next chunk overwrites, so each must be consumed (copied or written)
 * before asking for the next one.
 */
export function* tensorChunks(tensor: TensorToWrite): Generator<Uint8Array> {
  const { dtype, data } = tensor;
  if ((dtype === 'F16' || dtype === 'BF16') && data instanceof Float32Array) {
    const encode = dtype === 'F16' ? f32ToF16 : f32ToBf16;
    const scratch = new Uint16Array(Math.min(ENCODE_CHUNK_ELEMENTS, data.length));
    for (let i = 0; i < data.length; i += ENCODE_CHUNK_ELEMENTS) {
      const part = data.subarray(i, i + ENCODE_CHUNK_ELEMENTS);
      const bits = encode(part, scratch.subarray(0, part.length));
      yield littleEndian(bytesOf(bits), 2, true);
    }
    return;
  }
  const width = dtype === 'F32' || dtype === 'I32' ? 4 : 2;
  const bytes = bytesOf(data);
  if (HOST_IS_LITTLE_ENDIAN) {
    if (bytes.length > 0) yield bytes;
    return;
  }
  const chunkBytes = ENCODE_CHUNK_ELEMENTS * width;
  for (let i = 0; i < bytes.length; i += chunkBytes) yield littleEndian(bytes.subarray(i, i + chunkBytes), width, false);
}

/** Little-endian bytes of host-order data; swaps in place only when the buffer is our own scratch. */
function littleEndian(bytes: Uint8Array, width: number, ownsBuffer: boolean): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return bytes;
  const out = ownsBuffer ? bytes : bytes.slice();
  swapBytesInPlace(out, width);
  return out;
}
