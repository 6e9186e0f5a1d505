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
//
// A thread may also be kept on standby (`standby`): started although nothing
// waits, and not stopped when idle, while the answer is yes (the relay while a
// tenant has a sending account: a send then starts in milliseconds, not after
// a thread's start).
//
// Deciding when to start is a wake loop (wake-loop.ts), the one the relay and
// the webhook dispatcher run: a pass looks whether work waits and may have the
// thread now, the loop sleeps until the next look (the queue's next due time,
// the end of a burst, the poll) and a commit wakes it.
import { WakeLoop } from './wake-loop.ts';

/** Time since the last commit, with no DATA in progress, before a stopped thread is started for the mail just accepted. */
export const START_QUIET_MS = 250;

/** The thread as this controller uses it (a SupervisedThread). */
export interface StartableThread {
  readonly running: boolean;
  /** It died and its supervisor starts it again after a pause (a crash loop is not to be sped up from here). */
  readonly restarting?: boolean;
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
  /** Whether the thread should run although it has no work (asked at each look while it is stopped, and when it reports idle). */
  standby?: () => Promise<boolean>;
  /** Hears of each start and idle stop, for the log. */
  onChange?: (change: 'started' | 'stopped' | 'standby', detail: { waitedMs?: number; nextDueAt?: number | null }) => void;
  /** Hears why the queue could not be asked (the poll asks again). */
  onError?: (err: unknown) => void;
}

export class OnDemandThread {
  private readonly thread: StartableThread;
  private readonly options: OnDemandOptions;
  private readonly loop: WakeLoop;
  /** When the oldest work not yet handed to a thread was noticed. */
  private waitingSince: number | null = null;
  private lastCommitAt = -Infinity;
  /** The queue's next due time as the last pass read it (work not due yet). */
  private queueDueAt: number | null = null;
  private stopping: Promise<void> | null = null;
  private closed = false;

  constructor(thread: StartableThread, options: OnDemandOptions) {
    this.thread = thread;
    this.options = options;
    thread.onIdle = (nextDueAt) => this.idle(nextDueAt);
    this.loop = new WakeLoop({
      pass: () => this.pass(),
      nextDueAt: async () => this.nextLookAt(),
      // Without a poll, only a commit, a due time or the thread's stop brings the next look.
      pollMs: options.pollMs ?? Infinity,
      nowMs: options.nowMs,
      onError: (err) => options.onError?.(err),
    });
  }

  /** At server start: whatever the queue holds (a backlog, retries) gets the thread when it falls due. */
  begin(): void {
    this.loop.start();
  }

  /** Messages were committed: a running thread hears of them from the store; a stopped one is started soon. */
  committed(): void {
    this.lastCommitAt = this.options.nowMs();
    if (this.thread.running || this.closed) return;
    this.waitingSince ??= this.lastCommitAt;
    // Work that need not wait for intake to be quiet (startDelayMaxMs 0: the relay's) has the thread now, not a timer's turn later.
    if (!this.startIfDue()) this.loop.wake();
  }

  /** The thread reports it has had nothing to do for its idleStopMs. */
  idle(nextDueAt: number | null): void {
    if (!this.thread.running || this.stopping || this.closed) return;
    if (!this.options.standby) {
      this.stopping = this.pause(nextDueAt);
      return;
    }
    // On standby it keeps running; its next idle report (after more work) asks again.
    this.stopping = this.onStandby().then((standby) => (standby || this.closed ? void (this.stopping = null) : this.pause(nextDueAt)));
  }

  private async pause(nextDueAt: number | null): Promise<void> {
    await this.thread.pause();
    this.stopping = null;
    if (this.closed) return;
    this.options.onChange?.('stopped', { nextDueAt });
    // The queue is asked afresh: a message committed while the thread was stopping is due now.
    this.loop.wake();
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.loop.stop();
    await this.stopping;
    await this.thread.stop();
  }

  /** Whether this controller has nothing to decide: the thread runs, is stopping, is to be restarted by its supervisor, or the server stops. */
  private get settled(): boolean {
    return this.thread.running || this.stopping !== null || this.thread.restarting === true || this.closed;
  }

  /** Whether the thread is to stay ready although idle; a failed question counts as no (it is asked again at the next look). */
  private async onStandby(): Promise<boolean> {
    try {
      return (await this.options.standby?.()) ?? false;
    } catch (err) {
      this.options.onError?.(err);
      return false;
    }
  }

  /** One look: is work waiting (noticed, or due in the queue), or is the thread to stand by, and may it have the thread now? */
  private async pass(): Promise<void> {
    if (this.settled) return;
    if (this.waitingSince === null && (await this.onStandby()) && !this.settled) {
      this.thread.start();
      this.options.onChange?.('standby', {});
      return;
    }
    if (this.waitingSince === null) {
      this.queueDueAt = null;
      const due = await this.options.nextDueAt();
      if (this.settled) return;
      if (due === null || due > this.options.nowMs()) {
        this.queueDueAt = due;
        return;
      }
      this.waitingSince ??= this.options.nowMs();
    }
    this.startIfDue();
  }

  /** Starts the thread if work waits and may have it now; says whether it did. */
  private startIfDue(): boolean {
    if (this.settled || this.waitingSince === null) return false;
    const now = this.options.nowMs();
    if (now < this.startAt(now)) return false;
    const waitedMs = now - this.waitingSince;
    this.waitingSince = null;
    this.thread.start();
    this.options.onChange?.('started', { waitedMs });
    return true;
  }

  /** When the next pass should look: when the waiting work may have the thread, else when the queue's next work falls due. */
  private nextLookAt(): number | null {
    // A running thread finds its own work; its stop wakes the loop.
    if (this.settled) return null;
    return this.waitingSince === null ? this.queueDueAt : this.startAt(this.options.nowMs());
  }

  /** Work waiting gets the thread once intake has been quiet for START_QUIET_MS, and never later than startDelayMaxMs after it was noticed. */
  private startAt(now: number): number {
    const latest = (this.waitingSince ?? now) + this.options.startDelayMaxMs;
    const quietAt = this.options.intakeBusy() ? now + START_QUIET_MS : this.lastCommitAt + START_QUIET_MS;
    return Math.min(latest, quietAt);
  }
}
