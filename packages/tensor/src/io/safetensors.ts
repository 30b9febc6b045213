import { RRError } from '../errors.js';
import { writeFileAtomically } from './atomic-write.js';
import { memorySource, openFileSource, type ByteSource } from './byte-source.js';
import { describeAlternatives } from './close-names.js';
import { bf16ToF32, f16ToF32 } from './dtype-conversion.js';
import { HOST_IS_LITTLE_ENDIAN, swapBytesInPlace } from './endian.js';
import { isSupportedDType, SUPPORTED_DTYPES, type SafetensorsDType } from './safetensors-dtypes.js';
import { checkHeaderLength, parseHeader, type TensorInfo } from './safetensors-header.js';
import { planLayout, tensorChunks, type TensorToWrite } from './safetensors-layout.js';

/**
 * Reading and writing single safetensors files
 * (https://huggingface.co/docs/safetensors: u64 LE header length, JSON header, raw LE row-major data).
 *
 * Reading is lazy: opening a file reads and validates only the header; each tensor's bytes are read
 * when asked for, with `fs.readSync` at its offset into a fresh buffer (Node has no mmap, so this
 * streamed, on-demand access is what stands in for a memory map). Files of any size can be opened,
 * and only the tensors actually read occupy memory. Every read returns a new array the caller owns.
 *
 * What is accepted is documented in safetensors-header.ts (gaps allowed, overlaps rejected); what
 * is written matches the reference implementation's layout (see planLayout in safetensors-layout.ts).
 */

export type { SafetensorsDType, SafetensorsFormatDType } from './safetensors-dtypes.js';
export type { TensorInfo } from './safetensors-header.js';
export type { TensorToWrite } from './safetensors-layout.js';

/** A tensor's raw contents: F32 -> Float32Array, I32 -> Int32Array, F16/BF16 -> Uint16Array of bits. */
export interface RawTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Int32Array | Uint16Array;
}

/** An opened safetensors file: header parsed and validated, tensor data read on demand. */
export interface SafetensorsFile {
  /** The path it was opened from, or the name given to `parseSafetensors`. */
  readonly path: string;
  readonly metadata: Record<string, string>;
  /** Every tensor the header lists, including ones of dtypes rr cannot read (they fail on read). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The tensor as f32 values; F16 and BF16 are converted exactly. I32 is refused: use readRaw. */
  readF32(name: string): Float32Array;
  /** The tensor as stored, without conversion. */
  readRaw(name: string): RawTensor;
  /** Releases the file descriptor; reads afterwards fail. Safe to call twice. */
  close(): void;
}

/** Opens a file on disk. Only the header is read now; close it when done. */
export function openSafetensors(path: string): SafetensorsFile {
  const source = openFileSource(path);
  try {
    return openSource(source, path);
  } catch (err) {
    source.close();
    throw err;
  }
}

/** The same over bytes already in memory; `name` stands in for the path in messages. */
export function parseSafetensors(bytes: Uint8Array, name = '<in-memory safetensors>'): SafetensorsFile {
  return openSource(memorySource(bytes), name);
}

function openSource(source: ByteSource, file: string): SafetensorsFile {
  const prefix = new Uint8Array(8);
  if (source.size >= 8) source.readInto(0, prefix, 'the header length');
  const headerLength = checkHeaderLength(prefix, source.size, file);
  const headerBytes = new Uint8Array(headerLength);
  source.readInto(8, headerBytes, 'the header');
  const dataStart = 8 + headerLength;
  const { metadata, tensors } = parseHeader(headerBytes, dataStart, source.size - dataStart, file);
  return new OpenedFile(source, file, metadata, tensors);
}

class OpenedFile implements SafetensorsFile {
  private closed = false;

  constructor(
    private readonly source: ByteSource,
    readonly path: string,
    readonly metadata: Record<string, string>,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
  ) {}

  readF32(name: string): Float32Array {
    const dtype = this.info(name).dtype;
    if (dtype === 'I32') {
      throw new RRError(
        'SAFETENSORS_DTYPE_MISMATCH',
        `${this.path}: tensor "${name}" is I32 and readF32 only converts float tensors; use readRaw to get its Int32Array.`,
        { file: this.path, tensor: name, dtype },
      );
    }
    const raw = this.readRaw(name);
    if (raw.dtype === 'F16') return f16ToF32(raw.data as Uint16Array);
    if (raw.dtype === 'BF16') return bf16ToF32(raw.data as Uint16Array);
    return raw.data as Float32Array;
  }

  readRaw(name: string): RawTensor {
    const info = this.info(name);
    const dtype = info.dtype;
    if (!isSupportedDType(dtype)) {
      throw new RRError(
        'SAFETENSORS_UNSUPPORTED_DTYPE',
        `${this.path}: tensor "${name}" is ${dtype}, which rr cannot read (supported: ${SUPPORTED_DTYPES.join(', ')}). Convert the checkpoint, e.g. with torch: tensor.to(torch.float32).`,
        { file: this.path, tensor: name, dtype },
      );
    }
    const data = allocate(dtype, info.byteLength, this.path, name);
    const bytes = new Uint8Array(data.buffer);
    this.source.readInto(info.byteOffset, bytes, `tensor "${name}"`);
    if (!HOST_IS_LITTLE_ENDIAN) swapBytesInPlace(bytes, data.BYTES_PER_ELEMENT);
    return { dtype, shape: [...info.shape], data };
  }

  close(): void {
    this.closed = true;
    this.source.close();
  }

  private info(name: string): TensorInfo {
    if (this.closed) {
      throw new RRError('SAFETENSORS_CLOSED', `${this.path}: cannot read tensor "${name}", the file has been closed. Open it again.`, {
        file: this.path,
        tensor: name,
      });
    }
    const info = this.tensors.get(name);
    if (info === undefined) {
      throw new RRError('SAFETENSORS_MISSING_TENSOR', `${this.path}: no tensor named "${name}". ${describeAlternatives(name, [...this.tensors.keys()])}`, {
        file: this.path,
        tensor: name,
      });
    }
    return info;
  }
}

/** A fresh typed array owning its whole buffer, which the tensor's bytes are then read into. */
function allocate(dtype: SafetensorsDType, byteLength: number, file: string, name: string): Float32Array | Int32Array | Uint16Array {
  try {
    if (dtype === 'F32') return new Float32Array(byteLength / 4);
    if (dtype === 'I32') return new Int32Array(byteLength / 4);
    return new Uint16Array(byteLength / 2);
  } catch (err) {
    throw new RRError(
      'SAFETENSORS_TENSOR_TOO_LARGE',
      `${file}: tensor "${name}" is ${byteLength} bytes, more than this JavaScript engine can hold in one array. Split the tensor when exporting.`,
      { file, tensor: name, byteLength },
      { cause: err },
    );
  }
}

/** The whole file as one buffer (see writeSafetensors for a streamed, atomic write to disk). */
export function serializeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const layout = planLayout(tensors, metadata);
  let out: Uint8Array;
  try {
    out = new Uint8Array(layout.totalBytes);
  } catch (err) {
    throw new RRError(
      'SAFETENSORS_TOO_LARGE',
      `Cannot serialise ${layout.totalBytes} bytes of safetensors into one buffer; use writeSafetensors, which streams to disk.`,
      { totalBytes: layout.totalBytes },
      { cause: err },
    );
  }
  out.set(layout.head, 0);
  let position = layout.head.length;
  for (const { tensor } of layout.tensors) {
    for (const chunk of tensorChunks(tensor)) {
      out.set(chunk, position);
      position += chunk.length;
    }
  }
  return out;
}

/**
 * Writes a safetensors file atomically (temp file, fsync, rename: `path` holds either its old
 * content or the complete new file, never a partial one) and streamed (header first, then each
 * tensor, F16/BF16 encoding in bounded chunks), so it needs no buffer the size of the file.
 */
export function writeSafetensors(path: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): void {
  const layout = planLayout(tensors, metadata);
  writeFileAtomically(path, (append) => {
    append(layout.head);
    for (const { tensor } of layout.tensors) {
      for (const chunk of tensorChunks(tensor)) append(chunk);
    }
  });
}
