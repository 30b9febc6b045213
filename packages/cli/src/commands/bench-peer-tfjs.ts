import { createRequire } from 'node:module';
import { RRError } from '@rr/tensor';
import { dawnInstance } from '@rr/kernels-webgpu';

/** The other side of a matmul comparison: the same product, timed the same way. */
export interface MatmulPeer {
  readonly name: string;
  readonly version: string;
  /** Square operands of `size` filled with `values`; `once()` runs one product and returns milliseconds including its readback. */
  prepare(size: number, a: Float32Array, b: Float32Array): { once(): Promise<number>; dispose(): void };
  dispose(): void;
}

interface Tfjs {
  version_core: string;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  backend(): { device?: { destroy(): void } };
  removeBackend(name: string): void;
  tensor2d(values: Float32Array, shape: [number, number]): TfTensor;
  matMul(a: TfTensor, b: TfTensor): TfTensor;
}
interface TfTensor {
  data(): Promise<unknown>;
  dispose(): void;
}

const PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'];

/**
 * tfjs is a development dependency of @rr/kernels-webgpu, never a dependency of rr: it is looked
 * up next to the CLI first, then next to @rr/kernels-webgpu (where the workspace installs it).
 */
function loadTfjs(): { tf: Tfjs; load: NodeJS.Require } {
  const fromCli = createRequire(import.meta.url);
  const places = [fromCli];
  try {
    places.push(createRequire(fromCli.resolve('@rr/kernels-webgpu/package.json')));
  } catch {
    // @rr/kernels-webgpu without its package.json export: only the CLI's own place remains
  }
  for (const load of places) {
    try {
      for (const p of PACKAGES) load.resolve(p);
      return { tf: load(PACKAGES[0]!) as Tfjs, load };
    } catch {
      // not installed here
    }
  }
  throw new RRError(
    'PEER_NOT_INSTALLED',
    `--peer tfjs: ${PACKAGES.join(' and ')} 4.22 are not installed. They are development dependencies of @rr/kernels-webgpu: in the rr repository run \`pnpm install\`; elsewhere \`npm i -D @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-webgpu@4.22.0\`.`,
  );
}

/**
 * tfjs's WebGPU backend on the same Dawn instance as ours: it finds WebGPU through
 * `navigator.gpu`, which Node lacks, so navigator.gpu is the very `create()` instance the rr
 * backend uses (and so the same adapter).
 */
export async function openTfjsPeer(): Promise<MatmulPeer> {
  const { tf, load } = loadTfjs();
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: unknown };
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: dawnInstance(), configurable: true });
  load(PACKAGES[1]!); // registers the 'webgpu' backend (it checks navigator.gpu when loaded)
  if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') {
    throw new RRError('PEER_UNAVAILABLE', '--peer tfjs: tfjs could not start its WebGPU backend on this adapter.');
  }
  await tf.ready();
  const device = tf.backend().device;
  return {
    name: 'tfjs-backend-webgpu',
    version: tf.version_core,
    prepare(size, aValues, bValues) {
      const a = tf.tensor2d(aValues, [size, size]);
      const b = tf.tensor2d(bValues, [size, size]);
      return {
        async once() {
          const t0 = performance.now();
          const c = tf.matMul(a, b);
          await c.data();
          const ms = performance.now() - t0;
          c.dispose();
          return ms;
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },
    dispose() {
      tf.removeBackend('webgpu');
      device?.destroy(); // tfjs never destroys its device, and a live device keeps Node running
    },
  };
}
