/**
 * Test-only helpers for the io tests (not exported from the package): hand-built safetensors bytes,
 * temp directories, and an assertion for RRError code + message.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RRError } from '../errors.js';

/** A safetensors file from a header given as an object or a raw string, followed by `data`. */
export function rawSafetensors(header: unknown, data: Uint8Array | number = 0, options: { headerLength?: number } = {}): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(options.headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

export function makeTempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rr-io-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn`, expects an RRError with `code` whose message contains every one of `mentions`. */
export function expectRRError(fn: () => unknown, code: string, ...mentions: string[]): RRError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected RRError ${code}`).toBeInstanceOf(RRError);
  const err = caught as RRError;
  expect(err.code, err.message).toBe(code);
  for (const m of mentions) expect(err.message).toContain(m);
  return err;
}

/**
 * Bit-exact equality of two typed arrays (NaN payloads and -0 included), fast on big arrays where
 * `toEqual` walks element by element. Reports the first differing element.
 */
export function expectSameBits(actual: ArrayBufferView, expected: ArrayBufferView, label = ''): void {
  expect(actual.constructor.name, label).toBe(expected.constructor.name);
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(b)) return;
  const width = (actual as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  let i = 0;
  while (i < Math.min(a.length, b.length) && a[i] === b[i]) i++;
  const at = Math.floor(i / width);
  const show = (v: ArrayBufferView) => String((v as unknown as ArrayLike<number>)[at]);
  expect.fail(
    `${label}: arrays differ (lengths ${actual.byteLength} / ${expected.byteLength} bytes); first at element ${at}: ${show(actual)} vs ${show(expected)}`,
  );
}

/** Open file descriptors of this process (Linux only; undefined elsewhere), to catch fd leaks. */
export function openFdCount(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
