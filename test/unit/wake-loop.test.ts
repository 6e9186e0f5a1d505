// The relay's and the webhook dispatcher's loop: a pass at start, another at
// once when woken (right after the pass under way when woken during one), the
// next due time or the poll otherwise, and a failing pass or question of when
// work is due retried at the poll instead of stopping the loop.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WakeLoop, type WakeLoopOptions } from '../../src/runtime/wake-loop.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('WakeLoop', () => {
  let loop: WakeLoop | null = null;
  afterEach(async () => {
    await loop?.stop();
    loop = null;
  });

  function start(over: Partial<WakeLoopOptions> & { pass: () => Promise<unknown> }): WakeLoop {
    loop = new WakeLoop({ nextDueAt: async () => null, pollMs: 60_000, nowMs: Date.now, onError: () => undefined, ...over });
    loop.start();
    return loop;
  }

  it('runs a pass at start, and another only when woken (the poll is a minute away)', async () => {
    let passes = 0;
    const l = start({ pass: async () => void passes++ });
    await sleep(30);
    expect(passes).toBe(1);
    await sleep(50);
    expect(passes).toBe(1);
    l.wake();
    await sleep(30);
    expect(passes).toBe(2);
  });

  it('runs again right after a pass when woken during it', async () => {
    let passes = 0;
    let release = (): void => {};
    const l = start({
      pass: async () => {
        passes++;
        if (passes === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    await sleep(20);
    expect(l.busy).toBe(true);
    l.wake();
    l.wake();
    release();
    await sleep(30);
    expect(passes).toBe(2);
    expect(l.busy).toBe(false);
  });

  it('sleeps until the next work falls due when that is before the poll', async () => {
    let passes = 0;
    start({ pass: async () => void passes++, nextDueAt: async () => (passes === 1 ? Date.now() + 40 : null) });
    await sleep(20);
    expect(passes).toBe(1);
    await sleep(80);
    expect(passes).toBe(2);
  });

  it('keeps going after a failed pass or a failed question, at the poll', async () => {
    const errors: string[] = [];
    let passes = 0;
    start({
      pass: async () => {
        passes++;
        throw new Error('pass broke');
      },
      nextDueAt: async () => {
        throw new Error('cannot ask');
      },
      pollMs: 30,
      onError: (_err, during) => errors.push(during),
    });
    await sleep(100);
    expect(passes).toBeGreaterThanOrEqual(2);
    expect(errors.slice(0, 2)).toEqual(['pass', 'nextDueAt']);
  });

  it('stops after the pass under way, and runs none after', async () => {
    let passes = 0;
    let release = (): void => {};
    const l = start({
      pass: async () => {
        passes++;
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    await sleep(20);
    const stopped = l.stop();
    l.wake();
    release();
    await stopped;
    await sleep(30);
    expect(passes).toBe(1);
  });
  it('without a poll, sleeps until woken or until the next work falls due, however far off', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      let passes = 0;
      let due: number | null = null;
      const l = start({ pass: async () => void passes++, nextDueAt: async () => due, pollMs: Infinity });
      await vi.advanceTimersByTimeAsync(86_400_000);
      expect(passes).toBe(1);
      due = Date.now() + 40 * 86_400_000; // past setTimeout's longest delay (about 24.8 days)
      l.wake();
      await vi.advanceTimersByTimeAsync(39 * 86_400_000);
      expect(passes).toBe(2);
      await vi.advanceTimersByTimeAsync(86_400_000);
      expect(passes).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
