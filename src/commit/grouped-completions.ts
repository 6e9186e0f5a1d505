// Job outcomes committed in groups, for a job queue over a networked database
// (PostgreSQL): the pipeline finishes a claimed group of messages at nearly the
// same time, and one transaction (one WAL flush, one commit round trip) for
// all of their outcomes costs what one outcome alone would. While a group
// commits, the next outcomes gather for the next one. Each outcome is a
// savepoint of its own, so one that fails is undone alone. SQLite's store
// thread does the same for its connection (store-thread.ts).
import type { Job, ProcessedMessage, Repositories } from '../store/index.ts';
import type { JobQueue } from './job-queue.ts';

interface Pending {
  run: () => Promise<boolean>;
  resolve: (value: boolean) => void;
  reject: (err: unknown) => void;
}

export class GroupedCompletions implements JobQueue {
  private readonly queue: JobQueue;
  private readonly repositories: Repositories;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(queue: JobQueue, repositories: Repositories) {
    this.queue = queue;
    this.repositories = repositories;
  }

  claim(nowMs: number, leaseMs: number, max: number): Promise<Job[]> {
    return this.queue.claim(nowMs, leaseMs, max);
  }

  nextDueAt(): Promise<number | null> {
    return this.queue.nextDueAt();
  }

  complete(job: Job, summary: ProcessedMessage, nowMs: number): Promise<boolean> {
    return this.enqueue(() => this.queue.complete(job, summary, nowMs));
  }

  fail(job: Job, error: string, nowMs: number): Promise<boolean> {
    return this.enqueue(() => this.queue.fail(job, error, nowMs));
  }

  retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): Promise<boolean> {
    return this.enqueue(() => this.queue.retryLater(job, error, runAfterMs, nowMs));
  }

  private enqueue(run: () => Promise<boolean>): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ run, resolve, reject });
      // Outcomes of one group arrive within a turn or two: gather them, unless a commit is under way (then they join the next).
      this.flushing ??= new Promise<void>((started) => setImmediate(started)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const items = this.pending;
    this.pending = [];
    const settled: ({ ok: true; value: boolean } | { ok: false; err: unknown })[] = [];
    try {
      await this.repositories.transaction(async (tx) => {
        for (const item of items) {
          try {
            settled.push({ ok: true, value: await tx.transaction(item.run) });
          } catch (err) {
            settled.push({ ok: false, err });
          }
        }
      });
      // Answered after the commit: an outcome is not done before it is stored.
      items.forEach((item, i) => {
        const outcome = settled[i]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.err);
      });
    } catch (err) {
      for (const item of items) item.reject(err);
    } finally {
      this.flushing = null;
      if (this.pending.length > 0) this.flushing = this.flush();
    }
  }
}
