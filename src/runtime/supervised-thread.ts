// A worker thread the main thread keeps alive: started on demand, started again
// with a growing pause if it dies (its work is durable in SQLite, so a new one
// takes it up), and stopped by asking it to finish ('stop') and waiting for it,
// for good (stop) or until it is wanted again (pause).
import { Worker as Thread, type WorkerOptions } from 'node:worker_threads';
import type { Logger } from '../log.ts';

/** Posted by a thread that has had no work for its idleStopMs (on-demand-thread.ts stops it). */
export interface ThreadIdle {
  idle: true;
  /** When its next piece of work falls due; null when none is pending. */
  nextDueAt: number | null;
}

export function isThreadIdle(message: unknown): message is ThreadIdle {
  return typeof message === 'object' && message !== null && (message as ThreadIdle).idle === true;
}

/**
 * Inside such a thread: says once that it has had no work for `idleStopMs`
 * (0: never), and again after it had more.
 */
export class IdleReporter {
  private readonly idleStopMs: number;
  private readonly nowMs: () => number;
  private readonly report: (nextDueAt: number | null) => void;
  private lastBusyAt: number;
  private reported = false;

  constructor(idleStopMs: number, nowMs: () => number, report: (nextDueAt: number | null) => void) {
    this.idleStopMs = idleStopMs;
    this.nowMs = nowMs;
    this.report = report;
    this.lastBusyAt = nowMs();
  }

  /** The thread has work now. */
  busy(): void {
    this.lastBusyAt = this.nowMs();
    this.reported = false;
  }

  /** The thread has nothing to do now; its next piece of work falls due at `nextDueAt`. */
  quiet(nextDueAt: number | null): void {
    if (this.idleStopMs === 0 || this.reported || this.nowMs() - this.lastBusyAt < this.idleStopMs) return;
    this.reported = true;
    this.report(nextDueAt);
  }
}

export abstract class SupervisedThread {
  protected readonly log: Logger;
  private readonly name: string;
  private thread: Thread | null = null;
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(name: string, log: Logger) {
    this.name = name;
    this.log = log;
  }

  /** The file and options of a new thread (called for every start: ports are made fresh). */
  protected abstract spawn(): { file: URL; options: WorkerOptions };

  /** Hears the thread say it has had no work for a while. */
  onIdle: (nextDueAt: number | null) => void = () => undefined;

  get running(): boolean {
    return this.thread !== null;
  }

  /** The thread died and is to be started again after a growing pause: nobody else should start it sooner. */
  get restarting(): boolean {
    return this.restartTimer !== null;
  }

  start(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (this.thread || this.stopping) return;
    const { file, options } = this.spawn();
    const thread = new Thread(file, options);
    thread.on('error', (err) => this.log.error({ err }, `${this.name} thread failed`));
    thread.on('message', (message: unknown) => {
      if (isThreadIdle(message)) this.onIdle(message.nextDueAt);
    });
    thread.on('exit', (code) => {
      if (this.thread !== thread) return;
      this.thread = null;
      if (this.stopping) return;
      const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
      this.log.error({ code, restartInMs: delay }, `${this.name} thread exited; starting a new one`);
      this.restartTimer = setTimeout(() => this.start(), delay);
      this.restartTimer.unref();
    });
    this.thread = thread;
  }

  /** Tells a running thread something (a stopped one hears nothing). */
  notify(message: string): void {
    this.thread?.postMessage(message);
  }

  /** Stops the thread and, if one was running, starts a new one. */
  async restart(): Promise<void> {
    const wasRunning = this.running;
    await this.pause();
    if (wasRunning) this.start();
  }

  /** Stops the thread for good. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    await this.pause();
  }

  /** Stops the thread; start() starts a new one. */
  async pause(): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    this.thread = null;
    await new Promise<void>((resolve) => {
      thread.once('exit', () => resolve());
      thread.postMessage('stop');
    });
  }
}
