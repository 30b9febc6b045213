import type { Tensor } from '../tensor.js';
import { RRError } from '../errors.js';
import { scope } from '../scope.js';

/**
 * Reverse-mode autograd over coarse ops. Each op that records itself stores, on its output, the
 * inputs and a backward rule (a closure over what the forward saved). `grad` walks that graph
 * from the loss. There is no global tape to clear: the graph lives on the tensors and goes away
 * with them, so a step's scope frees activations, saved tensors and gradients together.
 */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients for each input (undefined where the input needs none). */
  readonly backward: (dOut: Tensor) => (Tensor | undefined)[];
}

let gradDisabled = 0;

export function isGradEnabled(): boolean {
  return gradDisabled === 0;
}

/** Runs fn without recording: the no-gradient recurrence steps of truncated backprop, evaluation. */
export function noGrad<T>(fn: () => T): T {
  gradDisabled++;
  try {
    return fn();
  } finally {
    gradDisabled--;
  }
}

/** Marks a leaf (a parameter) as requiring a gradient. */
export function requireGrad<T extends Tensor>(t: T, on = true): T {
  t.requiresGrad = on;
  return t;
}

/** The same values, cut from the graph: gradients stop here. Shares storage with `t`. */
export function detach<T extends Tensor>(t: T): T {
  t.assertLive('detach');
  return t.view(t.shape) as T;
}

/** Whether an op over these inputs will be recorded (ops drop what they would save otherwise). */
export function willRecord(inputs: readonly Tensor[]): boolean {
  return gradDisabled === 0 && inputs.some((t) => t.requiresGrad);
}

/**
 * Called by ops after computing `out`: attaches the backward rule when any input needs a gradient.
 * Public so that packages defining ops of their own (user kernels) take part in `grad` too.
 */
export function record(op: string, out: Tensor, inputs: readonly Tensor[], backward: (dOut: Tensor) => (Tensor | undefined)[]): Tensor {
  if (willRecord(inputs)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

/**
 * Gradients of `output` (usually a scalar loss) with respect to each of `wrt`. `dOutput` defaults to
 * ones (the output must then have one element). Inputs that `output` does not depend on get zeros.
 * Intermediate gradients are freed as soon as they are consumed; the returned ones belong to the
 * caller's scope.
 */
export function grad(output: Tensor, wrt: readonly Tensor[], dOutput?: Tensor): Tensor[] {
  output.assertLive('grad');
  if (!dOutput && output.size !== 1) {
    throw new RRError('GRAD_NON_SCALAR', `grad: output has shape [${output.shape.join(', ')}]; pass dOutput for a non-scalar output.`);
  }
  if (!output.requiresGrad) {
    throw new RRError(
      'GRAD_NO_GRAPH',
      'grad: the output does not depend on any tensor that requires a gradient (was it computed under noGrad, or are the parameters marked with requireGrad?).',
    );
  }
  const order = topologicalOrder(output);
  const wanted = new Set(wrt);
  const result = scope(() =>
    noGrad(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(output, dOutput ?? output.backend.full(output.shape, 1, output.dtype));
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i]!;
        const g = grads.get(t);
        const node = t.node;
        if (!g || !node) continue;
        const inputGrads = distinct(node.backward(g), g);
        if (!wanted.has(t)) {
          grads.delete(t);
          if (g !== dOutput) g.dispose();
        }
        node.inputs.forEach((input, j) => {
          const gi = inputGrads[j];
          if (!gi || !input.requiresGrad) return;
          const prev = grads.get(input);
          if (prev) {
            grads.set(input, input.backend.binary('add', prev, gi));
            prev.dispose();
            gi.dispose();
          } else {
            grads.set(input, gi);
          }
        });
      }
      return wrt.map((w) => grads.get(w) ?? w.backend.zeros(w.shape, w.dtype));
    }),
  );
  return result;
}

/**
 * A backward rule may hand back its incoming gradient itself, or one tensor for several inputs
 * (add returns [g, g]). Give each slot its own Tensor (a view sharing storage), so that disposing
 * one accumulated gradient never frees another's memory.
 */
function distinct(grads: (Tensor | undefined)[], incoming: Tensor): (Tensor | undefined)[] {
  const seen = new Set<Tensor>([incoming]);
  return grads.map((gi) => {
    if (!gi) return gi;
    if (seen.has(gi)) return gi.view(gi.shape);
    seen.add(gi);
    return gi;
  });
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: unrolled recurrences make graphs deep enough to overflow a recursive one.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i]!;
      if (!seen.has(next) && next.requiresGrad) {
        next.assertLive(`grad (input of ${t.node!.op})`);
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
