import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OnDemandThread, START_QUIET_MS, type StartableThread } from '../../src/runtime/on-demand-thread.ts';

/** A thread that records its starts and stops; pausing takes as long as the test says. */
class FakeThread implements StartableThread {
  running = false;
  restarting = false;
  starts = 0;
  onIdle: (nextDueAt: number | null) => void = () => undefined;
  private finishPause: (() => void) | null = null;
  start(): void {
    this.running = true;
    this.starts++;
  }
  pause(): Promise<void> {
    return new Promise((resolve) => {
      this.finishPause = () => {
        this.running = false;
        resolve();
      };
    });
  }
  paused(): void {
    this.finishPause?.();
  }
  stop(): Promise<void> {
    this.running = false;
    return Promise.resolve();
  }
}

describe('a thread on demand', () => {
  let thread: FakeThread;
  let due: number | null;
  let demand: OnDemandThread;
  let receiving: boolean;
  const now = (): number => Date.now();

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    thread = new FakeThread();
    due = null;
    receiving = false;
    demand = new OnDemandThread(thread, { startDelayMaxMs: 10_000, nextDueAt: async () => due, intakeBusy: () => receiving, nowMs: now });
  });
  afterEach(() => vi.useRealTimers());

  /** A controller on the fake thread whose queue answers `due`, counting how often it is asked. */
  function counting(options: { startDelayMaxMs: number; pollMs?: number }): { demand: OnDemandThread; asked: () => number } {
    let asked = 0;
    const demand = new OnDemandThread(thread, {
      ...options,
      nextDueAt: async () => {
        asked++;
        return due;
      },
      intakeBusy: () => false,
      nowMs: now,
    });
    return { demand, asked: () => asked };
  }

  /** A controller on the fake thread that polls every second and stands by while `standby` says so. */
  function standingBy(standby: () => boolean): OnDemandThread {
    return new OnDemandThread(thread, {
      startDelayMaxMs: 0,
      nextDueAt: async () => due,
      intakeBusy: () => false,
      pollMs: 1_000,
      nowMs: now,
      standby: async () => standby(),
    });
  }

  it('starts for accepted mail once intake has been quiet, not during the burst', async () => {
    demand.begin();
    for (let i = 0; i < 10; i++) {
      demand.committed();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(thread.starts).toBe(0);
    await vi.advanceTimersByTimeAsync(START_QUIET_MS - 100);
    expect(thread.starts).toBe(1);
    // Running: the store wakes it, nothing to start.
    demand.committed();
    await vi.advanceTimersByTimeAsync(START_QUIET_MS);
    expect(thread.starts).toBe(1);
  });

  it('waits while messages are still being received, though nothing was committed for a while', async () => {
    demand.committed();
    receiving = true; // the next wave of large messages is on its way
    await vi.advanceTimersByTimeAsync(2_000);
    expect(thread.starts).toBe(0);
    receiving = false;
    await vi.advanceTimersByTimeAsync(START_QUIET_MS);
    expect(thread.starts).toBe(1);
  });

  it('starts within startDelayMaxMs while mail keeps arriving', async () => {
    for (let t = 0; t < 9_900; t += 100) {
      demand.committed();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(thread.starts).toBe(0);
    demand.committed();
    await vi.advanceTimersByTimeAsync(100);
    expect(thread.starts).toBe(1);
  });

  it('starts at once for a backlog left from before, and when a retry falls due', async () => {
    due = now() - 5;
    demand.begin();
    await vi.advanceTimersByTimeAsync(0); // the queue answers with a promise
    expect(thread.starts).toBe(1);

    const later = new FakeThread();
    due = now() + 60_000;
    const retries = new OnDemandThread(later, { startDelayMaxMs: 10_000, nextDueAt: async () => due, intakeBusy: () => false, nowMs: now });
    retries.begin();
    await vi.advanceTimersByTimeAsync(0); // the queue answers with a promise
    await vi.advanceTimersByTimeAsync(59_999);
    expect(later.starts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(later.starts).toBe(1);
  });

  it('stops an idle thread, and starts it again for mail committed while it was stopping or for the next retry', async () => {
    due = now();
    demand.begin();
    await vi.advanceTimersByTimeAsync(0); // the queue answers with a promise
    expect(thread.running).toBe(true);
    due = null;
    thread.onIdle(null); // as the thread reports it
    demand.committed(); // arrives while the thread finishes: the jobs table has it
    due = now();
    thread.paused();
    await vi.advanceTimersByTimeAsync(START_QUIET_MS);
    expect(thread.starts).toBe(2);

    due = now() + 30_000;
    thread.onIdle(due);
    thread.paused();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(thread.running).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(thread.starts).toBe(3);
  });

  it('starts nothing once the server stops', async () => {
    demand.committed();
    await demand.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(thread.starts).toBe(0);
  });

  it('starts a thread whose work need not wait for a quiet intake (the relay) on the commit itself, not a turn later', () => {
    const relay = new FakeThread();
    const demandNow = new OnDemandThread(relay, { startDelayMaxMs: 0, nextDueAt: async () => null, intakeBusy: () => true, pollMs: 1_000, nowMs: now });
    demandNow.committed();
    expect(relay.starts).toBe(1);
  });

  it('looks at the queue every pollMs while stopped, for work queued by another process (the relay)', async () => {
    const relay = new FakeThread();
    due = null;
    const polled = new OnDemandThread(relay, { startDelayMaxMs: 0, nextDueAt: async () => due, intakeBusy: () => false, pollMs: 1_000, nowMs: now });
    polled.begin();
    await vi.advanceTimersByTimeAsync(0); // the queue answers with a promise
    await vi.advanceTimersByTimeAsync(5_000);
    expect(relay.starts).toBe(0);
    due = now() + 3_000; // a CLI command queued a message for later
    await vi.advanceTimersByTimeAsync(2_999);
    expect(relay.starts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(relay.starts).toBe(1);
  });
  it('without a poll, asks the queue once and then only when told or when its work falls due', async () => {
    due = null;
    const { demand: pipeline, asked } = counting({ startDelayMaxMs: 10_000 });
    pipeline.begin();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(asked()).toBe(1);
    expect(thread.starts).toBe(0);
    // A retry due in 30 days (past setTimeout's longest delay) is slept towards, not looked for at once.
    due = now() + 30 * 86_400_000;
    thread.onIdle(null);
    pipeline.committed();
    await vi.advanceTimersByTimeAsync(START_QUIET_MS);
    expect(thread.starts).toBe(1);
    thread.onIdle(null);
    thread.paused();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(asked()).toBe(2);
    expect(thread.starts).toBe(1);
    await pipeline.stop();
  });

  it('asks nothing of the queue while the thread runs, and asks again once it stopped', async () => {
    due = now();
    const { demand: relay, asked } = counting({ startDelayMaxMs: 0, pollMs: 1_000 });
    relay.begin();
    await vi.advanceTimersByTimeAsync(0);
    expect(thread.starts).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(asked()).toBe(1);
    due = null;
    thread.onIdle(null);
    thread.paused();
    await vi.advanceTimersByTimeAsync(0);
    expect(asked()).toBe(2);
    await relay.stop();
  });

  it('stands by while asked to (a sending account exists): started with nothing to do, kept when idle, stopped once no longer asked', async () => {
    let standby = true;
    demand = standingBy(() => standby);
    demand.begin();
    await vi.advanceTimersByTimeAsync(0);
    expect(thread.starts).toBe(1);
    thread.onIdle(null);
    await vi.advanceTimersByTimeAsync(0);
    expect(thread.running).toBe(true);
    standby = false;
    thread.onIdle(null);
    await vi.advanceTimersByTimeAsync(0);
    thread.paused();
    await vi.advanceTimersByTimeAsync(0);
    expect(thread.running).toBe(false);
    // Stopped, and nothing due: the poll does not start it again until standby is asked for once more.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(thread.starts).toBe(1);
    standby = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(thread.starts).toBe(2);
  });

  it('leaves a thread that died to its supervisor: no start on standby or for work while its restart is pending', async () => {
    demand = standingBy(() => true);
    thread.restarting = true;
    demand.begin();
    due = now();
    demand.committed();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(thread.starts).toBe(0);
    // The supervisor's pause is over (it starts the thread itself; here the next look may).
    thread.restarting = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(thread.starts).toBe(1);
  });
});
