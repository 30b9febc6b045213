/**
 * The dtype vocabulary of the safetensors format, split into what rr reads and writes and what it
 * merely recognises.
 *
 * A header may legitimately list tensors of any format dtype (a checkpoint with an F64 buffer or
 * an FP8 weight is still a valid file), so recognised-but-unsupported dtypes only fail when such a
 * tensor is read. Strings outside the format's vocabulary mean the header is not a safetensors
 * header at all and fail when the file is opened.
 */

/** The dtypes rr reads and writes. */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I32';

/** Every dtype of the safetensors format, supported or not; this is what a header may list. */
export type SafetensorsFormatDType =
  | SafetensorsDType
  | 'BOOL'
  | 'F4'
  | 'F6_E2M3'
  | 'F6_E3M2'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'F8_E8M0'
  | 'I16'
  | 'U16'
  | 'U32'
  | 'C64'
  | 'F64'
  | 'I64'
  | 'U64';

/**
 * Bits per element, in the order of the reference implementation's `Dtype` enum. That order is
 * the reference's "alignment" order, which the writer sorts by (see safetensors-layout.ts).
 */
const FORMAT_DTYPE_BITS: ReadonlyMap<SafetensorsFormatDType, number> = new Map<SafetensorsFormatDType, number>([
  ['BOOL', 8],
  ['F4', 4],
  ['F6_E2M3', 6],
  ['F6_E3M2', 6],
  ['U8', 8],
  ['I8', 8],
  ['F8_E5M2', 8],
  ['F8_E4M3', 8],
  ['F8_E8M0', 8],
  ['I16', 16],
  ['U16', 16],
  ['F16', 16],
  ['BF16', 16],
  ['I32', 32],
  ['U32', 32],
  ['F32', 32],
  ['C64', 64],
  ['F64', 64],
  ['I64', 64],
  ['U64', 64],
]);

const FORMAT_RANK: ReadonlyMap<SafetensorsFormatDType, number> = new Map([...FORMAT_DTYPE_BITS.keys()].map((dtype, index) => [dtype, index]));

export const SUPPORTED_DTYPES: readonly SafetensorsDType[] = ['F32', 'F16', 'BF16', 'I32'];

export function isFormatDType(value: string): value is SafetensorsFormatDType {
  return FORMAT_DTYPE_BITS.has(value as SafetensorsFormatDType);
}

export function isSupportedDType(value: string): value is SafetensorsDType {
  return (SUPPORTED_DTYPES as readonly string[]).includes(value);
}

export function dtypeBits(dtype: SafetensorsFormatDType): number {
  return FORMAT_DTYPE_BITS.get(dtype)!;
}

/** Position in the reference implementation's enum; larger means "more aligned", written first. */
export function dtypeRank(dtype: SafetensorsFormatDType): number {
  return FORMAT_RANK.get(dtype)!;
}

export function bytesPerElement(dtype: SafetensorsDType): number {
  return dtypeBits(dtype) / 8;
}
