// Job outcomes committed in groups, for a job queue over a networked database
// (PostgreSQL): the pipeline finishes a claimed group of messages at nearly the
// same time, and one transaction (one WAL flush, one commit round trip) for
// all of their outcomes costs what one outcome alone would. While a group
// commits, the next outcomes gather for the next one. The group is written
// first without savepoints (two round trips a message fewer); when anything
// in it fails, it is written again with a savepoint per outcome, so the one
// that fails is undone alone and the others are stored. SQLite's store thread
// does the same for its connection (store-thread.ts).
import { announceWork, type Job, type ProcessedMessage, type Repositories } from '../store/index.ts';
import { isGroupingJobQueue, type GroupingJobQueue, type JobQueue } from './job-queue.ts';

interface Pending {
  run: () => Promise<boolean>;
  /** A completion's job: its commit means events wait for the webhook dispatchers. */
  completes: Job | null;
  resolve: (value: boolean) => void;
  reject: (err: unknown) => void;
  nowMs: number;
}

type Settled = { ok: true; value: boolean } | { ok: false; err: unknown };

export class GroupedCompletions implements JobQueue {
  private readonly queue: JobQueue;
  private readonly repositories: Repositories;
  /** `queue` when it can leave a group's rows to be written together (a LocalJobQueue). */
  private readonly grouping: GroupingJobQueue | null;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;

  /** `queue` leaves telling of new events to this class (LocalJobQueue with `announceEvents: false`): once a group, not once a message. */
  constructor(queue: JobQueue, repositories: Repositories) {
    this.queue = queue;
    this.repositories = repositories;
    this.grouping = isGroupingJobQueue(queue) ? queue : null;
  }

  claim(nowMs: number, leaseMs: number, max: number): Promise<Job[]> {
    return this.queue.claim(nowMs, leaseMs, max);
  }

  nextDueAt(): Promise<number | null> {
    return this.queue.nextDueAt();
  }

  complete(job: Job, summary: ProcessedMessage, nowMs: number): Promise<boolean> {
    return this.enqueue(() => this.queue.complete(job, summary, nowMs), job, nowMs);
  }

  fail(job: Job, error: string, nowMs: number): Promise<boolean> {
    return this.enqueue(() => this.queue.fail(job, error, nowMs), null, nowMs);
  }

  retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): Promise<boolean> {
    return this.enqueue(() => this.queue.retryLater(job, error, runAfterMs, nowMs), null, nowMs);
  }

  private enqueue(run: () => Promise<boolean>, completes: Job | null, nowMs: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ run, completes, nowMs, resolve, reject });
      // Outcomes of one group arrive within a turn or two: gather them, unless a commit is under way (then they join the next).
      this.flushing ??= new Promise<void>((started) => setImmediate(started)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const items = this.pending;
    this.pending = [];
    try {
      const settled = await this.settle(items);
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

  /** The group in one transaction: at once when nothing fails, else again with a savepoint per outcome. */
  private async settle(items: Pending[]): Promise<Settled[]> {
    const queuedBefore = this.repositories.events.deliveriesQueued;
    try {
      return await this.repositories.sql.transaction(
        async () => {
          try {
            // The group's jobs marked done in one statement (lease checked); each completion then writes only its effects.
            const done = items.flatMap((item) => (item.completes ? [item.completes] : []));
            if (done.length > 1) {
              await this.repositories.jobs.finishAhead(done, Math.max(...items.map((item) => item.nowMs)));
              // The tenants their decisions and events need, once for the group (two statements, not two or more a message).
              const tenants = await this.repositories.messages.loadTenantsAhead(done.map((job) => job.messageId));
              await this.repositories.events.loadTenantsAhead([...new Set(tenants.values())]);
            }
            // Their conversations, message rows and events, left by each completion: chosen and written for the group at once.
            this.grouping?.beginGroup();
            const settled: Settled[] = [];
            for (const item of items) settled.push({ ok: true, value: await item.run() });
            await this.grouping?.writeGroup();
            // Their events, held by the event store meanwhile: in one statement (a failure here sends the group to the savepoint path).
            await this.repositories.events.writeHeld();
            await this.announce(queuedBefore);
            return settled;
          } finally {
            this.grouping?.endGroup();
            this.repositories.jobs.endAhead();
            this.repositories.messages.endAhead();
            this.repositories.events.endAhead();
          }
        },
        { savepoints: false },
      );
    } catch (err) {
      if (items.length === 1) return [{ ok: false, err }];
    }
    return await this.repositories.transaction(async (tx) => {
      const settled: Settled[] = [];
      for (const item of items) {
        try {
          settled.push({ ok: true, value: await tx.transaction(item.run) });
        } catch (err) {
          settled.push({ ok: false, err });
        }
      }
      await this.announce(queuedBefore);
      return settled;
    });
  }

  /**
   * PostgreSQL: every node's dispatcher hears that webhook deliveries wait (sent at the commit), once for the group, and
   * only when the group's events queued some (a rolled-back outcome's count only costs the relays a look).
   */
  private async announce(queuedBefore: number): Promise<void> {
    if (this.repositories.events.deliveriesQueued > queuedBefore) await announceWork(this.repositories, 'events');
  }
}
