/** The compiled kernels of matmul.wat, shared by the matmul driver and the heap's elementwise kernels. */
import { MATMUL_WASM_BASE64 } from './matmul-wasm.generated.js';
import { api, type WasmModule } from './wasm-api.js';

let compiled: WasmModule | undefined;

export function wasmBytes(): Uint8Array {
  if (typeof Buffer === 'function') return Buffer.from(MATMUL_WASM_BASE64, 'base64');
  const bin = atob(MATMUL_WASM_BASE64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

export function wasmModule(): WasmModule {
  compiled ??= new (api().Module)(wasmBytes());
  return compiled;
}
