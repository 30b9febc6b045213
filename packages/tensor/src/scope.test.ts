import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createCpuBackend } from './cpu/backend.js';
import * as ops from './ops/index.js';
import { keep, scope, scopeDepth } from './scope.js';
import { memoryStats } from './storage-lifetime.js';
import type { Tensor } from './tensor.js';

/**
 * Scopes are how a training step frees its activations without anyone counting references, so
 * each rule is checked through the backend's live storage count, not only through `disposed`.
 */

const be = createCpuBackend();
afterAll(() => be.destroy());

let start = 0;
beforeEach(() => {
  start = memoryStats(be).storages;
});
/** Storages alive now beyond those alive when the test started. */
const live = (): number => memoryStats(be).storages - start;
const vec = (...values: number[]): Tensor => be.upload(values, [values.length], 'f64');
const values = async (t: Tensor): Promise<number[]> => [...(await t.read())];

describe('scope', () => {
  it('disposes what the function created and keeps what it returns', async () => {
    let a!: Tensor;
    const b = scope(() => {
      a = vec(1, 2);
      return ops.affine(ops.square(a), 1, 1);
    });
    expect(a.disposed).toBe(true);
    expect(b.disposed).toBe(false);
    expect(live()).toBe(1);
    expect(await values(b)).toEqual([2, 5]);
    b.dispose();
    expect(live()).toBe(0);
  });

  it('keeps every tensor reachable through returned arrays, objects and Maps', () => {
    const r = scope(() => {
      vec(0); // garbage
      return { pair: [vec(1), vec(2)], nested: { deeper: { t: vec(3) } }, map: new Map([['m', vec(4)]]), n: 5 };
    });
    const kept = [...r.pair, r.nested.deeper.t, r.map.get('m')!];
    expect(kept.every((t) => !t.disposed)).toBe(true);
    expect(live()).toBe(4);
    kept.forEach((t) => t.dispose());
    expect(live()).toBe(0);
  });

  it('keeps a returned tensor however deeply it is nested, and survives a cycle', () => {
    type Nest = { inner?: Nest; t?: Tensor; self?: Nest };
    const r = scope(() => {
      const root: Nest = {};
      let at = root;
      for (let i = 0; i < 20; i++) at = at.inner = { self: at };
      at.t = vec(7);
      return root;
    });
    let at: { inner?: unknown; t?: Tensor } = r;
    while (at.inner) at = at.inner as typeof at;
    expect(at.t!.disposed).toBe(false);
    expect(live()).toBe(1);
    at.t!.dispose();
  });

  it('moves a tensor returned by an inner scope to the outer one, which frees it unless it returns it too', () => {
    let fromInner!: Tensor;
    const outer = scope(() => {
      fromInner = scope(() => ops.neg(vec(1)));
      expect(fromInner.disposed).toBe(false);
      return ops.exp(fromInner);
    });
    expect(fromInner.disposed).toBe(true);
    expect(live()).toBe(1);
    outer.dispose();
    expect(live()).toBe(0);
  });

  it('keep() takes a tensor out of every open scope: it lives until disposed explicitly', () => {
    let kept!: Tensor;
    scope(() => {
      scope(() => {
        kept = keep(ops.neg(vec(7)));
      });
    });
    expect(kept.disposed).toBe(false);
    expect(live()).toBe(1);
    kept.dispose();
    expect(live()).toBe(0);
  });

  it('leaves tensors created outside any scope alone', () => {
    const param = vec(1, 2, 3);
    scope(() => {
      ops.add(param, param);
    });
    expect(param.disposed).toBe(false);
    expect(live()).toBe(1);
    param.dispose();
  });

  it('a returned view keeps the storage it shares with a disposed intermediate', async () => {
    const v = scope(() => ops.square(vec(1, 2, 3, 4)).view([2, 2]));
    expect(live()).toBe(1);
    expect(await values(v)).toEqual([1, 4, 9, 16]);
    v.dispose();
    expect(live()).toBe(0);
  });

  it('an exception disposes everything the scope and its inner scopes created, and closes them', () => {
    const depth = scopeDepth();
    const made: Tensor[] = [];
    expect(() =>
      scope(() => {
        made.push(vec(1));
        scope(() => {
          made.push(vec(2));
          throw new Error('boom');
        });
      }),
    ).toThrow('boom');
    expect(made.every((t) => t.disposed)).toBe(true);
    expect(live()).toBe(0);
    expect(scopeDepth()).toBe(depth);
  });

  it('an exception caught by an outer scope frees the inner scope only', () => {
    const survivor = scope(() => {
      const x = vec(3);
      try {
        scope(() => {
          vec(4);
          throw new Error('inner');
        });
      } catch {
        // recovered
      }
      return x;
    });
    expect(survivor.disposed).toBe(false);
    expect(live()).toBe(1);
    survivor.dispose();
  });

  it('rejects an async function (scopes are synchronous)', () => {
    const depth = scopeDepth();
    expect(() => scope(async () => vec(1))).toThrow(TypeError);
    expect(scopeDepth()).toBe(depth);
  });

  it('frees what an async function allocated before rejecting it', () => {
    try {
      scope(async () => vec(1));
    } catch {
      // expected TypeError
    }
    expect(live()).toBe(0);
  });
});
