import type { Tensor } from './tensor.js';

/**
 * Memory scopes. Every tensor created while a scope is open belongs to it; when the scope's
 * function returns, all its tensors are disposed except those reachable from the return value
 * (which move to the enclosing scope) and those passed to `keep`. Tensors created outside any
 * scope (parameters, optimizer state) live until disposed explicitly. This is how a training step
 * frees its activations and gradients without the user counting references.
 */
const stack: Set<Tensor>[] = [];

/** Called by the Tensor constructor. */
export function track(t: Tensor): void {
  const top = stack[stack.length - 1];
  if (top) top.add(t);
}

/** Removes `t` from every open scope: it now lives until disposed explicitly. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

export function scope<T>(fn: () => T): T {
  const mine = new Set<Tensor>();
  stack.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of mine) t.dispose();
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) {
    for (const t of mine) t.dispose();
    throw new TypeError('scope(fn): fn returned a Promise; scopes are synchronous. Await outside the scope.');
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors, new Set());
  const parent = stack[stack.length - 1];
  for (const t of mine) {
    if (survivors.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Number of scopes currently open (for tests and diagnostics). */
export function scopeDepth(): number {
  return stack.length;
}

/** Every tensor reachable from `value` through arrays, Maps and plain objects, at any depth (cycles are visited once). */
function collectTensors(value: unknown, out: Set<Tensor>, seen: Set<object>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, seen);
  }
}

function isTensor(v: object): v is Tensor {
  return (v as { __isTensor?: boolean }).__isTensor === true;
}
