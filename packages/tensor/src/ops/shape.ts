import type { Tensor } from '../tensor.js';
import { record } from '../autograd/tape.js';
import { RRError } from '../errors.js';
import { expectInteger, expectRank, sameBackend, sameDType } from './check.js';

/** A new shape over the same storage; the gradient is reshaped back. One dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = x.view(shape);
  return record('reshape', out, [x], (g) => [g.view(x.shape)]);
}

/** Swaps the last two axes (a copy); its own gradient rule. */
export function transpose(x: Tensor): Tensor {
  sameBackend('transpose', x);
  expectRank('transpose', 'x', x, 2, 8);
  return record('transpose', x.backend.transpose(x), [x], (g) => [g.backend.transpose(g)]);
}

/** Concatenation along the last axis; the gradient is sliced back into the parts. */
export function concat(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new RRError('BAD_ARGUMENT', 'concat: needs at least one tensor.');
  sameBackend('concat', ...xs);
  sameDType('concat', ...xs);
  const lead = xs[0]!.shape.slice(0, -1);
  for (const x of xs) {
    if (x.rank !== lead.length + 1 || x.shape.slice(0, -1).some((d, i) => d !== lead[i])) {
      throw new RRError('SHAPE_MISMATCH', `concat: shapes ${xs.map((t) => `[${t.shape.join(', ')}]`).join(', ')} differ outside the last axis.`);
    }
  }
  const out = xs[0]!.backend.concat(xs);
  return record('concat', out, xs, (g) => {
    let start = 0;
    return xs.map((x) => {
      const width = x.shape[x.rank - 1]!;
      start += width;
      return g.backend.slice(g, start - width, start);
    });
  });
}

/** x[..., start:end]; the gradient is the slice padded with zeros back to x's width. */
export function slice(x: Tensor, start: number, end: number): Tensor {
  sameBackend('slice', x);
  expectRank('slice', 'x', x, 1, 8);
  const width = x.shape[x.rank - 1]!;
  expectInteger('slice', 'end', end, 0, width);
  expectInteger('slice', 'start', start, 0, end);
  const out = x.backend.slice(x, start, end);
  return record('slice', out, [x], (g) => {
    const be = g.backend;
    const lead = x.shape.slice(0, -1);
    const parts: Tensor[] = [];
    if (start > 0) parts.push(be.zeros([...lead, start], g.dtype));
    parts.push(g);
    if (end < width) parts.push(be.zeros([...lead, width - end], g.dtype));
    return [parts.length === 1 ? g : be.concat(parts)];
  });
}
