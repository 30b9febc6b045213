import { create, globals } from 'webgpu';

/**
 * Dawn instances, one per set of flags, created on first use and never released.
 *
 * They live in a module-level map on purpose: if the object returned by `create()` is garbage
 * collected while a device made from it is alive, Dawn frees its instance under the device and the
 * process dies later (SIGSEGV or a futex abort in `InstanceBase::ProcessEvents`, intermittently).
 * Holding them here ties their life to the module's, which outlives every device.
 */
const instances = new Map<string, GPU>();
let globalsInstalled = false;

/** Dawn toggles as `create()` takes them, e.g. `['backend=vulkan']`. */
export function dawnInstance(flags: readonly string[] = []): GPU {
  if (!globalsInstalled) {
    // GPUBufferUsage, GPUMapMode, ... are globals in a browser; Dawn for Node ships them separately
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
  const key = flags.join('\n');
  let gpu = instances.get(key);
  if (!gpu) {
    gpu = create([...flags]);
    instances.set(key, gpu);
  }
  return gpu;
}
