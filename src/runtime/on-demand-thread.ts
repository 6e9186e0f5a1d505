// A worker thread that runs while there is work, not all the time: the
// pipeline and relay threads hold memory (their libraries, their heaps) that an
// idle server does not need (docs/architecture.md has the figures).
//
// The thread is started when work is waiting: committed messages (the
// pipeline; once intake is quiet, no DATA in progress and no commit for a
// moment, so a burst is accepted first, but never later than startDelayMaxMs),
// work left from before a restart, retries when they fall due, and work queued
// by other processes (the relay: the queues are looked at every pollMs while
// the thread is stopped). It stops itself by reporting that it has been idle
// for its idleStopMs; after it stopped, the queues say when it is next needed,
// so work queued while it was stopping is not left waiting.

/** Time since the last commit, with no DATA in progress, before a stopped thread is started for the mail just accepted. */
export const START_QUIET_MS = 250;

/** The thread as this controller uses it (a SupervisedThread). */
export interface StartableThread {
  readonly running: boolean;
  /** Set by the controller: called when the thread says it has been idle for its idleStopMs. */
  onIdle: (nextDueAt: number | null) => void;
  start(): void;
  /** Stops it; start() may start it again. */
  pause(): Promise<void>;
  stop(): Promise<void>;
}

export interface OnDemandOptions {
  startDelayMaxMs: number;
  /** When the thread's next piece of work falls due (its queue), null when none is pending. */
  nextDueAt: () => Promise<number | null>;
  /** Whether messages are being received right now (DATA in progress). */
  intakeBusy: () => boolean;
  /** While the thread is stopped, look at the queue this often (work queued by other processes); none: only when told. */
  pollMs?: number;
  nowMs: () => number;
  /** Hears of each start and idle stop, for the log. */
  onChange?: (change: 'started' | 'stopped', detail: { waitedMs?: number; nextDueAt?: number | null }) => void;
  /** Hears why the queue could not be asked (the poll asks again). */
  onError?: (err: unknown) => void;
}

export class OnDemandThread {
  private readonly thread: StartableThread;
  private readonly options: OnDemandOptions;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** When the oldest work not yet handed to a thread was noticed. */
  private waitingSince: number | null = null;
  private lastCommitAt = -Infinity;
  private stopping: Promise<void> | null = null;
  private closed = false;

  constructor(thread: StartableThread, options: OnDemandOptions) {
    this.thread = thread;
    this.options = options;
    thread.onIdle = (nextDueAt) => this.idle(nextDueAt);
  }

  /** At server start: whatever the queue holds (a backlog, retries) gets the thread when it falls due. */
  begin(): void {
    this.askDue();
  }

  /** Messages were committed: a running thread hears of them from the store; a stopped one is started soon. */
  committed(): void {
    this.lastCommitAt = this.options.nowMs();
    if (this.thread.running || this.closed) return;
    this.waitingSince ??= this.lastCommitAt;
    this.check();
  }

  /** The thread reports it has had nothing to do for its idleStopMs. */
  idle(nextDueAt: number | null): void {
    if (!this.thread.running || this.stopping || this.closed) return;
    this.stopping = this.thread.pause().then(() => {
      this.stopping = null;
      if (this.closed) return;
      this.options.onChange?.('stopped', { nextDueAt });
      // Asked afresh: a message committed while the thread was stopping is due now.
      this.askDue();
    });
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    await this.stopping;
    await this.thread.stop();
  }

  /** Asks the queue when its next work falls due, then schedules for it; a failed question falls back to the poll. */
  private askDue(): void {
    this.options.nextDueAt().then(
      (due) => this.scheduleDue(due),
      (err: unknown) => {
        this.options.onError?.(err);
        this.scheduleDue(null);
      },
    );
  }

  private scheduleDue(due: number | null): void {
    if (this.closed) return;
    const now = this.options.nowMs();
    const poll = this.options.pollMs === undefined ? Infinity : now + this.options.pollMs;
    if (due !== null && due <= now) {
      this.waitingSince ??= now;
      this.check();
    } else if (Math.min(due ?? Infinity, poll) < Infinity) this.wakeAt(Math.min(due ?? Infinity, poll));
  }

  /** A timer fired: for work already waiting, see whether to start now; else ask the queue again. */
  private onTimer(): void {
    if (this.thread.running || this.stopping || this.closed) return;
    if (this.waitingSince === null) return this.askDue();
    this.check();
  }

  /** Starts the thread once intake is quiet or the oldest waiting work has waited long enough; else looks again then. */
  private check(): void {
    this.clearTimer();
    if (this.thread.running || this.stopping || this.closed) return;
    if (this.waitingSince === null) return;
    const now = this.options.nowMs();
    const latest = this.waitingSince + this.options.startDelayMaxMs;
    const quietAt = this.lastCommitAt + START_QUIET_MS;
    if (now < latest && (now < quietAt || this.options.intakeBusy())) return this.wakeAt(Math.min(latest, Math.max(quietAt, now + START_QUIET_MS)));
    const waitedMs = now - this.waitingSince;
    this.waitingSince = null;
    this.thread.start();
    this.options.onChange?.('started', { waitedMs });
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.onTimer();
      },
      Math.max(0, at - this.options.nowMs()),
    );
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }
}
