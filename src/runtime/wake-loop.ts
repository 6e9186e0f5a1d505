// A loop of passes that runs on a timer and at once when woken: the relay's
// sends, the webhook deliveries and the main thread's decision to start an
// on-demand thread (on-demand-thread.ts) each run one. After a pass it asks
// when the next work falls due and sleeps until then (at most pollMs: work
// written by another process is found by the poll); a wake cuts the sleep
// short, and a wake during a pass runs another pass right after it, so nothing
// written while a pass was claiming waits for the poll.

export interface WakeLoopOptions {
  /** One pass over what is due. */
  pass: () => Promise<unknown>;
  /** When the next work falls due (epoch ms), null when nothing is pending. */
  nextDueAt: () => Promise<number | null>;
  /** The longest sleep between two passes; Infinity: none (only a wake or the next due time brings a pass). */
  pollMs: number;
  nowMs: () => number;
  /** Hears a pass that failed, or a question of when work is due that failed (the loop tries again at the next poll). */
  onError: (err: unknown, during: 'pass' | 'nextDueAt') => void;
}

/** setTimeout's longest delay (a longer one fires at once): a later due time is slept towards in steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export class WakeLoop {
  private readonly options: WakeLoopOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private woken = false;
  private stopped = false;

  constructor(options: WakeLoopOptions) {
    this.options = options;
  }

  start(): void {
    this.schedule(0);
  }

  /** Work was written: a pass now, or right after the one under way. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.woken = true;
    else this.schedule(0);
  }

  /** A pass is under way. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** No pass after this one; resolves when the pass under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.clearTimer();
    // Nothing due and no poll: asleep until woken.
    if (delayMs === Infinity) return;
    const step = Math.min(delayMs, LONGEST_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (delayMs > step) return this.schedule(delayMs - step);
      this.running = this.runPass();
    }, step);
    this.timer.unref();
  }

  private async runPass(): Promise<void> {
    this.woken = false;
    try {
      await this.options.pass();
    } catch (err) {
      this.options.onError(err, 'pass');
    }
    let delay = this.options.pollMs;
    if (this.woken) delay = 0;
    else {
      try {
        const due = await this.options.nextDueAt();
        if (due !== null) delay = Math.max(0, Math.min(this.options.pollMs, due - this.options.nowMs()));
      } catch (err) {
        this.options.onError(err, 'nextDueAt');
      }
      // Woken while asking: the answer may predate what was written.
      if (this.woken) delay = 0;
    }
    this.running = null;
    this.schedule(delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
