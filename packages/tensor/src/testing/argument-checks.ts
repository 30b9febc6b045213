import { expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { memoryStats } from '../storage-lifetime.js';
import type { Tensor } from '../tensor.js';

const DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'f64', 'i32', 'u32'];

/**
 * The methods that create, convert or overwrite memory take arguments no op has checked; their
 * checks are written once (validate.ts) and every backend must run them: the same RRError, naming
 * the method, and nothing allocated by a refused call.
 */
export function defineArgumentChecks(be: Backend): void {
  const refused = (call: () => unknown, code: string, message: RegExp): void => {
    const before = memoryStats(be).storages;
    expect(call).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
    expect(memoryStats(be).storages, 'storages left by the refused call').toBe(before);
  };
  const withTensors = (fn: (a: Tensor, b: Tensor) => void): void => {
    const a = be.upload([1, 2, 3, 4], [2, 2], 'f32');
    const b = be.upload([5, 6], [1, 2], 'f32');
    try {
      fn(a, b);
    } finally {
      a.dispose();
      b.dispose();
    }
  };

  const unstored = DTYPES.find((d) => !be.dtypes.includes(d));
  const notStored = (op: string): RegExp => new RegExp(`^${op}: the ${be.name} backend stores ${be.dtypes.join(', ')}; ${unstored} is not one of them`);
  it.skipIf(!unstored)(`refuses a dtype it does not store${unstored ? ` (${unstored})` : ': skipped, it stores every dtype'}, naming the method`, () => {
    withTensors((a) => {
      refused(() => be.cast(a, unstored!), 'UNSUPPORTED_DTYPE', notStored('cast'));
      refused(() => be.upload([1], [1], unstored!), 'UNSUPPORTED_DTYPE', notStored('upload'));
      refused(() => be.zeros([1], unstored!), 'UNSUPPORTED_DTYPE', notStored('zeros'));
      refused(() => be.full([1], 1, unstored!), 'UNSUPPORTED_DTYPE', notStored('full'));
    });
  });

  it('refuses shapes that do not fit, naming the method', () => {
    withTensors((a, b) => {
      refused(() => be.upload([1, 2, 3], [2, 2], 'f32'), 'SHAPE_MISMATCH', /^upload: 3 values do not fill shape \[2, 2\]/);
      refused(() => be.zeros([2, -1], 'f32'), 'BAD_SHAPE', /^zeros: shape \[2, -1\]/);
      refused(() => be.full([1.5], 0, 'f32'), 'BAD_SHAPE', /^full: shape \[1\.5\]/);
      refused(() => be.assign(a, b), 'SHAPE_MISMATCH', /^assign: source .* does not match destination/);
      refused(() => be.writeRange(a, b, 0, 2), 'SHAPE_MISMATCH', /^writeRange: cannot write .* at 2 along axis 0/);
    });
  });

  it('refuses a disposed tensor, naming the method', () => {
    withTensors((a) => {
      const gone = be.upload([1, 2, 3, 4], [2, 2], 'f32');
      gone.dispose();
      refused(() => be.cast(gone, 'f32'), 'TENSOR_DISPOSED', /^cast: /);
      refused(() => be.assign(gone, a), 'TENSOR_DISPOSED', /^assign: /);
      refused(() => be.assign(a, gone), 'TENSOR_DISPOSED', /^assign: /);
    });
  });
}
