import { type Backend, isGradEnabled } from '@rr/tensor';

/** Where a step spends its time: forward (and the loss), backward, optimizer (clipping included). */
export type Phase = 'forward' | 'backward' | 'optimizer';
export const PHASES: readonly Phase[] = ['forward', 'backward', 'optimizer'];

/** One op kind's cost per step, by phase (ms; calls). */
export interface OpProfileRow {
  op: string;
  ms: Record<Phase, number>;
  calls: Record<Phase, number>;
}

/** Per-step averages: every backend call by kind, plus the wall time of each phase. */
export interface OpProfile {
  steps: number;
  rows: OpProfileRow[];
  /** Wall time of each phase per step; what is not in `rows` is JavaScript between backend calls. */
  phase_ms: Record<Phase, number>;
}

/** Backend methods that are not ops: reading back waits for work, the rest is bookkeeping. */
const NOT_OPS = new Set(['read', 'readSync', 'sync', 'destroy', 'memory', 'constructor', 'poolStats']);

const zeros = (): Record<Phase, number> => ({ forward: 0, backward: 0, optimizer: 0 });

/**
 * Times every backend call of a benchmark step by op kind ('binary:add', 'matmul', ...) and
 * phase. It patches the backend instance's methods (tensors keep pointing at the same object, so
 * every op goes through the patch) and restores them on `stop`. On the CPU backend, where ops are
 * synchronous, a call's time is the op's time; on WebGPU it is only the time to encode it.
 */
export class OpProfiler {
  #phase: Phase = 'forward';
  #steps = 0;
  #ms = new Map<string, Record<Phase, number>>();
  #calls = new Map<string, Record<Phase, number>>();
  #phaseMs = zeros();
  #since: number | undefined;
  /** Set by `followTraining`: phases follow the step instead of `enter` calls. */
  #following = false;
  #inForward = 0;
  #restore: (() => void)[] = [];

  constructor(backend: Backend) {
    const target = backend as unknown as Record<string, unknown>;
    const names = new Set<string>();
    for (let proto = Object.getPrototypeOf(backend); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) names.add(name);
    }
    for (const name of names) {
      const original = target[name];
      if (NOT_OPS.has(name) || typeof original !== 'function') continue;
      const fn = original as (...args: unknown[]) => unknown;
      const keyed = name === 'unary' || name === 'binary';
      target[name] = (...args: unknown[]): unknown => {
        if (this.#following) this.#follow();
        const t0 = performance.now();
        try {
          return fn.apply(backend, args);
        } finally {
          this.#add(keyed ? `${name}:${String(args[0])}` : name, performance.now() - t0);
        }
      };
      this.#restore.push(() => delete target[name]);
    }
  }

  #add(op: string, ms: number): void {
    let m = this.#ms.get(op);
    let c = this.#calls.get(op);
    if (!m || !c) {
      m = zeros();
      c = zeros();
      this.#ms.set(op, m);
      this.#calls.set(op, c);
    }
    m[this.#phase] += ms;
    c[this.#phase]++;
  }

  /**
   * Tells the phases of a training step it does not drive itself (the Trainer's trainStep) from
   * three signs: calls inside `model.forward`, and after it while recording, are forward (the
   * loss included); the first call without recording outside the forward starts the backward
   * (`grad` runs its rules under noGrad); the first recording call after that, or
   * `optimizer.step`, starts the optimizer phase (gradient clipping included).
   */
  followTraining(model: { forward(...args: never[]): unknown }, optimizer: { step(...args: never[]): unknown }): void {
    this.#following = true;
    const patch = (obj: object, name: 'forward' | 'step', before: () => void, after?: () => void): void => {
      const target = obj as Record<string, unknown>;
      const fn = target[name] as (...args: unknown[]) => unknown;
      target[name] = (...args: unknown[]): unknown => {
        before();
        try {
          return fn.apply(obj, args);
        } finally {
          after?.();
        }
      };
      this.#restore.push(() => delete target[name]);
    };
    patch(
      model,
      'forward',
      () => {
        if (this.#inForward++ === 0) this.enter('forward');
      },
      () => this.#inForward--,
    );
    patch(optimizer, 'step', () => this.enter('optimizer'));
  }

  #follow(): void {
    if (this.#inForward > 0) return;
    if (this.#phase === 'forward' && !isGradEnabled()) this.enter('backward');
    else if (this.#phase === 'backward' && isGradEnabled()) this.enter('optimizer');
  }

  /** From now on calls count towards `phase` (and so does the wall time, until the next `enter` or `leave`). */
  enter(phase: Phase): void {
    this.leave();
    this.#phase = phase;
    this.#since = performance.now();
  }

  /** Ends the current phase's wall time (waiting for a read-back between phases is no phase's). */
  leave(): void {
    if (this.#since !== undefined) this.#phaseMs[this.#phase] += performance.now() - this.#since;
    this.#since = undefined;
  }

  /** Counts one step; the report divides by this. */
  step(): void {
    this.#steps++;
  }

  /** Forgets everything measured so far (the warm-up step). */
  reset(): void {
    this.#steps = 0;
    this.#ms.clear();
    this.#calls.clear();
    this.#phaseMs = zeros();
  }

  report(): OpProfile {
    const n = Math.max(1, this.#steps);
    const per = (r: Record<Phase, number>): Record<Phase, number> => ({ forward: r.forward / n, backward: r.backward / n, optimizer: r.optimizer / n });
    const rows = [...this.#ms].map(([op, ms]) => ({ op, ms: per(ms), calls: per(this.#calls.get(op)!) }));
    const total = (r: OpProfileRow): number => r.ms.forward + r.ms.backward + r.ms.optimizer;
    rows.sort((a, b) => total(b) - total(a));
    return { steps: this.#steps, rows, phase_ms: per(this.#phaseMs) };
  }

  /** Puts the backend's own methods back. */
  stop(): void {
    for (const restore of this.#restore.splice(0)) restore();
  }
}

/** The profile as a table: ms per step by op kind and phase, then the JavaScript between ops. */
export function formatOpProfile(p: OpProfile): string {
  const f = (ms: number): string => ms.toFixed(1).padStart(10);
  const sum = (r: Record<Phase, number>): number => r.forward + r.backward + r.optimizer;
  const lines = [`  profile (ms per step, mean of ${p.steps} steps; calls per step in the last column)`];
  lines.push(
    `  ${'op'.padEnd(24)}${'forward'.padStart(10)}${'backward'.padStart(10)}${'optimizer'.padStart(10)}${'total'.padStart(10)}${'share'.padStart(8)}${'calls'.padStart(8)}`,
  );
  const wall = sum(p.phase_ms);
  const inOps = zeros();
  for (const r of p.rows) {
    for (const ph of PHASES) inOps[ph] += r.ms[ph];
    const share = `${((100 * sum(r.ms)) / wall).toFixed(1)}%`;
    lines.push(
      `  ${r.op.padEnd(24)}${f(r.ms.forward)}${f(r.ms.backward)}${f(r.ms.optimizer)}${f(sum(r.ms))}${share.padStart(8)}${sum(r.calls).toFixed(0).padStart(8)}`,
    );
  }
  const between = {
    forward: p.phase_ms.forward - inOps.forward,
    backward: p.phase_ms.backward - inOps.backward,
    optimizer: p.phase_ms.optimizer - inOps.optimizer,
  };
  lines.push(
    `  ${'(between ops)'.padEnd(24)}${f(between.forward)}${f(between.backward)}${f(between.optimizer)}${f(sum(between))}${`${((100 * sum(between)) / wall).toFixed(1)}%`.padStart(8)}`,
  );
  lines.push(`  ${'phase wall time'.padEnd(24)}${f(p.phase_ms.forward)}${f(p.phase_ms.backward)}${f(p.phase_ms.optimizer)}${f(wall)}`);
  return `${lines.join('\n')}\n`;
}
