import { describe, expect, it } from 'vitest';
import { CompletionWait } from './completion-wait.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('CompletionWait', () => {
  it('never sleeps when sleeping is off, nor before it has seen a wait', async () => {
    for (const w of [new CompletionWait(false), new CompletionWait(true)]) {
      w.submitted();
      const t0 = performance.now();
      await w.beforeWait();
      expect(performance.now() - t0).toBeLessThan(20);
    }
  });

  it('sleeps through most of the shortest recent wait, minus the time already passed', async () => {
    const w = new CompletionWait(true);
    for (const ms of [120, 80]) {
      w.submitted();
      await sleep(ms);
      w.completed();
    }
    w.submitted();
    const t0 = performance.now();
    await w.beforeWait();
    const slept = performance.now() - t0;
    expect(slept).toBeGreaterThan(0.8 * 80 * 0.8);
    expect(slept).toBeLessThan(0.8 * 120);
  });
});
