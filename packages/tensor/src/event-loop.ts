/**
 * Resolves after one turn of the event loop (a macrotask), not just a microtask. The CPU backend
 * computes synchronously and a training or evaluation loop that only awaits settled promises
 * never gives Node its I/O phase: signal handlers (Ctrl-C's checkpoint), IPC (the CLI's
 * end-with-parent link) and timers would wait until the loop ends. Long loops call this once per
 * step; it costs a few microseconds.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
