import type { Backend, Storage } from './backend.js';

/** Live storages on a backend and their bytes (elements x bytes per element of the tensors over them). */
export interface MemoryStats {
  storages: number;
  bytes: number;
}

/**
 * Storage lifetime is @rr/tensor's, not each backend's. A backend wraps new memory in a Storage and
 * a Tensor; from then on the Tensors over it (views, detached copies) are counted here, and
 * `Storage.free()` is called once, when the last of them is disposed. Counting in one place keeps
 * reference counts and accounting off the Backend contract, and makes `memoryStats` the same, exact
 * figure on every backend.
 */
interface Held {
  tensors: number;
  bytes: number;
}

const held = new WeakMap<Storage, Held>();
const totals = new WeakMap<Backend, MemoryStats>();

function totalsOf(backend: Backend): MemoryStats {
  let t = totals.get(backend);
  if (!t) totals.set(backend, (t = { storages: 0, bytes: 0 }));
  return t;
}

/** A new Tensor over `storage`; `bytes` counts only for the first, which brings the storage to life. */
export function retainStorage(backend: Backend, storage: Storage, bytes: number): void {
  const h = held.get(storage);
  if (h) {
    h.tensors++;
    return;
  }
  held.set(storage, { tensors: 1, bytes });
  const t = totalsOf(backend);
  t.storages++;
  t.bytes += bytes;
}

/** A Tensor over `storage` was disposed: the last one frees it. */
export function releaseStorage(backend: Backend, storage: Storage): void {
  const h = held.get(storage);
  // every Tensor retained its storage in its constructor and releases it once, in dispose()
  if (!h || --h.tensors > 0) return;
  held.delete(storage);
  const t = totalsOf(backend);
  t.storages--;
  t.bytes -= h.bytes;
  storage.free();
}

/**
 * How many storages are alive on `backend` and their bytes: leak tests (the count before and after
 * a step inside `scope` is the same) and diagnostics. Buffers a backend keeps pooled for reuse are
 * not counted; they are the backend's own business (see a backend's own statistics, such as
 * WebGPUBackend.poolStats()).
 */
export function memoryStats(backend: Backend): MemoryStats {
  const t = totals.get(backend);
  return { storages: t?.storages ?? 0, bytes: t?.bytes ?? 0 };
}
