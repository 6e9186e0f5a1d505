// Several copies of one supervised thread run as one: the pipeline's worker
// threads share the job queue (claims are leased, so each job goes to one
// thread), are started and stopped together by on-demand-thread.ts, and hear
// the same wake-ups. The group is idle when every thread has said it is.
import type { StartableThread } from './on-demand-thread.ts';
import type { SupervisedThread } from './supervised-thread.ts';

export class ThreadGroup implements StartableThread {
  private readonly threads: readonly SupervisedThread[];
  /** The threads that said they are idle since the group last had work. */
  private readonly idle = new Set<SupervisedThread>();

  onIdle: (nextDueAt: number | null) => void = () => undefined;

  constructor(threads: readonly SupervisedThread[]) {
    if (threads.length === 0) throw new Error('a thread group needs a thread');
    this.threads = threads;
    for (const thread of threads)
      thread.onIdle = (nextDueAt) => {
        this.idle.add(thread);
        if (this.idle.size === this.threads.length) this.onIdle(nextDueAt);
      };
  }

  get size(): number {
    return this.threads.length;
  }

  get running(): boolean {
    return this.threads.some((t) => t.running);
  }

  /** How many of its threads run now. */
  get runningCount(): number {
    return this.threads.filter((t) => t.running).length;
  }

  start(): void {
    this.idle.clear();
    for (const thread of this.threads) thread.start();
  }

  /** Tells every running thread (a wake: each may claim some of the new work). */
  notify(message: string): void {
    if (message === 'wake') this.idle.clear();
    for (const thread of this.threads) thread.notify(message);
  }

  async restart(): Promise<void> {
    this.idle.clear();
    await Promise.all(this.threads.map((t) => t.restart()));
  }

  async pause(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.pause()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
  }
}
