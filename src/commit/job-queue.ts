// What the pipeline worker needs from the job queue, as an async interface: the
// server's worker talks to the store thread through it (store-client.ts); tests,
// tools and the store thread use LocalJobQueue on repositories of their own.
import { DecisionEffects, type Placing } from './decision-effects.ts';
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

/** A queue that can leave a group's completions to be written together (LocalJobQueue; GroupedCompletions uses it). */
export interface GroupingJobQueue extends JobQueue {
  beginGroup(): void;
  writeGroup(): Promise<void>;
  endGroup(): void;
}

export function isGroupingJobQueue(queue: JobQueue): queue is GroupingJobQueue {
  return 'writeGroup' in queue;
}

/** A completion's job done and its decision applied but for its conversation; its row and event still to write. */
interface Completion {
  messageId: string;
  summary: ProcessedMessage;
  at: string;
  placing: Placing | null;
}

/** The job queue on a set of repositories of this process (tests, tools, and the store thread itself). */
export class LocalJobQueue implements JobQueue {
  private readonly jobs: JobStore;
  private readonly messages: MessageStore;
  private readonly effects: DecisionEffects;
  private readonly repositories: Repositories;
  private readonly announceEach: boolean;
  /** A group's completions waiting for `writeGroup` (between `beginGroup` and `endGroup`). */
  private group: Completion[] | null = null;

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
      const placing = await this.effects.applyDecision(job.messageId, summary, at);
      const completion = { messageId: job.messageId, summary, at, placing };
      if (this.group) this.group.push(completion);
      else await this.store([completion]);
      // PostgreSQL: every node's relay hears that webhook deliveries wait (sent at the commit). SQLite's store thread says so itself.
      if (this.announceEach && this.repositories.events.deliveriesQueued > queuedBefore) await announceWork(this.repositories, 'events');
    });
  }

  /**
   * Inside a group's transaction (GroupedCompletions): from now on a
   * completion leaves its conversation, its message row and its event to
   * `writeGroup`, which writes the group's at once (on PostgreSQL a statement
   * or two for all of them instead of two or three a message).
   */
  beginGroup(): void {
    this.group = [];
  }

  /** Writes what the group's completions left, in the same transaction; before the events are written (they are recorded here). */
  async writeGroup(): Promise<void> {
    const group = this.group ?? [];
    this.group = [];
    await this.store(group);
  }

  /** Ends what `beginGroup` began (at the group transaction's end, committed or not). */
  endGroup(): void {
    this.group = null;
  }

  /** The completions' conversations, then their message rows (with where their decisions filed them), then their events. */
  private async store(completions: readonly Completion[]): Promise<void> {
    if (completions.length === 0) return;
    const placed = await this.effects.placeAll(completions.map((c) => c.placing));
    const stored = await this.messages.markProcessedMany(
      completions.map(({ messageId, summary, at }, i) => {
        const p = placed[i];
        return p ? { id: messageId, summary: { ...summary, decision: p.decision }, at, filed: p.filed } : { id: messageId, summary, at };
      }),
    );
    for (const [i, { at }] of completions.entries()) {
      const p = placed[i];
      if (p) await this.effects.announce(stored[i] ?? null, p, at);
    }
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
