// What the pipeline worker needs from the job queue, as an async interface: the
// server's worker talks to the store thread through it (store-client.ts); tests,
// tools and the store thread use LocalJobQueue on repositories of their own.
import { DecisionEffects } from './decision-effects.ts';
import { announceWork, type Job, type JobStore, type MessageStore, type ProcessedMessage, type Repositories } from '../store/index.ts';

export interface JobQueue {
  claim(nowMs: number, leaseMs: number, max: number): Promise<Job[]>;
  /** Marks the job done and the message processed, if the lease is still ours. */
  complete(job: Job, summary: ProcessedMessage, nowMs: number): Promise<boolean>;
  /** Gives the job up and marks the message failed, if the lease is still ours. */
  fail(job: Job, error: string, nowMs: number): Promise<boolean>;
  retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): Promise<boolean>;
  nextDueAt(): Promise<number | null>;
}

/** The job queue on a set of repositories of this process (tests, tools, and the store thread itself). */
export class LocalJobQueue implements JobQueue {
  private readonly jobs: JobStore;
  private readonly messages: MessageStore;
  private readonly effects: DecisionEffects;
  private readonly repositories: Repositories;
  private readonly announceEach: boolean;

  /**
   * `announceEvents: false` leaves telling the relays that events wait to the
   * caller (GroupedCompletions tells once for a group: on PostgreSQL each
   * telling is a statement, a round trip).
   */
  constructor(repositories: Repositories, options: { announceEvents?: boolean } = {}) {
    this.repositories = repositories;
    this.announceEach = options.announceEvents ?? true;
    this.jobs = repositories.jobs;
    this.messages = repositories.messages;
    this.effects = new DecisionEffects(repositories);
  }

  claim(nowMs: number, leaseMs: number, max: number): Promise<Job[]> {
    return this.jobs.claim(nowMs, leaseMs, max);
  }

  complete(job: Job, summary: ProcessedMessage, nowMs: number): Promise<boolean> {
    const at = new Date(nowMs).toISOString();
    const queuedBefore = this.repositories.events.deliveriesQueued;
    return this.jobs.complete(job, nowMs, async () => {
      // PostgreSQL: the attachments this node's pipeline wrote, where every node reads them.
      await this.repositories.attachments.keep(
        summary.attachments.map((a) => a.sha256),
        nowMs,
      );
      // The decision's effects first: the message row is then written once, with where the decision filed it.
      const placed = await this.effects.place(job.messageId, summary, at);
      const stored = await this.messages.markProcessed(job.messageId, placed ? { ...summary, decision: placed.decision } : summary, at, placed?.filed);
      if (placed) await this.effects.announce(stored, placed, at);
      // PostgreSQL: every node's relay hears that webhook deliveries wait (sent at the commit). SQLite's store thread says so itself.
      if (this.announceEach && this.repositories.events.deliveriesQueued > queuedBefore) await announceWork(this.repositories, 'events');
    });
  }

  fail(job: Job, error: string, nowMs: number): Promise<boolean> {
    return this.jobs.fail(job, error, nowMs, () => this.messages.markFailed(job.messageId, error, new Date(nowMs).toISOString()));
  }

  retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): Promise<boolean> {
    return this.jobs.retryLater(job, error, runAfterMs, nowMs);
  }

  nextDueAt(): Promise<number | null> {
    return this.jobs.nextDueAt();
  }
}
