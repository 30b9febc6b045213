/**
 * The part of the WebAssembly JavaScript API this directory uses, typed locally:
 * the package compiles without the DOM lib, which is where TypeScript declares the
 * `WebAssembly` namespace, and declaring that global here could clash with a
 * program that does include the DOM lib. Type-only; nothing here exists at runtime
 * except `wasmApi()`.
 */

/** An opaque compiled module (WebAssembly.Module). */
export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}

export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}

/** The global WebAssembly object, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return typeof api === 'object' && api !== null ? api : undefined;
}

/** The WebAssembly API, or an error where there is none (callers check availability first). */
export function api(): WasmApi {
  const wasm = wasmApi();
  if (!wasm) throw new Error('wasm matmul: WebAssembly is unavailable');
  return wasm;
}
