/**
 * safetensors data is little-endian, and typed arrays use the host's byte order. Every host Node
 * ships for today is little-endian, so the swap below is a no-op in practice; it exists so that a
 * big-endian host gets correct numbers instead of silently scrambled ones.
 */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `width`-byte element of `bytes`, in place. */
export function swapBytesInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}
