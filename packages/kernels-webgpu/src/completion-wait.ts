/**
 * Waiting for the GPU without burning the CPU it runs on.
 *
 * Dawn for Node resolves `mapAsync` and `onSubmittedWorkDone` by polling its instance from the
 * main thread on every event-loop turn (setImmediate) while one is pending: a busy wait that takes
 * a whole core. On a real GPU that costs nothing but power; on a CPU emulation (Mesa lavapipe) the
 * "GPU" is the other cores, and on a 2-core machine the poll takes a third of the CPU away from the
 * shader threads. So on such adapters the backend first sleeps for most of the time the previous
 * submission took (a training step or a benchmark repeats the same work), then starts the polled
 * wait for the rest. A wrong guess costs at most a short spin, or a sleep as long as 85% of the
 * previous wait.
 */
export class CompletionWait {
  /** The last few waits, ms: the sleep is a fraction of the shortest, so a slow outlier never makes it overshoot. */
  readonly #recent: number[] = [];
  #submittedAt = 0;

  constructor(readonly sleeps: boolean) {}

  /** Called when work is submitted. */
  submitted(): void {
    this.#submittedAt = performance.now();
  }

  /** Sleeps through the part of the wait that the last one suggests, if sleeping is on. */
  async beforeWait(): Promise<void> {
    if (!this.sleeps) return;
    if (this.#recent.length === 0) return;
    const nap = 0.8 * Math.min(...this.#recent) - (performance.now() - this.#submittedAt);
    if (nap > 1) await new Promise((resolve) => setTimeout(resolve, nap));
  }

  /** Called when the awaited work is complete. */
  completed(): void {
    this.#recent.push(performance.now() - this.#submittedAt);
    if (this.#recent.length > 4) this.#recent.shift();
  }
}
