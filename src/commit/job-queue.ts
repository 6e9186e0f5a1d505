// What the pipeline worker needs from the job queue, as an async interface: the
// server's worker talks to the store thread through it (store-client.ts); tests
// and tools use LocalJobQueue on a connection of their own.
import { DecisionEffects } from './decision-effects.ts';
import type { Job, JobStore, MessageStore, ProcessedMessage, SqliteRepositories } from '../store/index.ts';

export interface JobQueue {
  claim(nowMs: number, leaseMs: number, max: number): Promise<Job[]>;
  /** Marks the job done and the message processed, if the lease is still ours. */
  complete(job: Job, summary: ProcessedMessage, nowMs: number): Promise<boolean>;
  /** Gives the job up and marks the message failed, if the lease is still ours. */
  fail(job: Job, error: string, nowMs: number): Promise<boolean>;
  retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): Promise<boolean>;
  nextDueAt(): Promise<number | null>;
}

/** The job operations themselves, synchronous, on one connection. */
export class JobOperations {
  private readonly jobs: JobStore;
  private readonly messages: MessageStore;
  private readonly effects: DecisionEffects;

  constructor(repositories: SqliteRepositories) {
    this.jobs = repositories.jobs;
    this.messages = repositories.messages;
    this.effects = new DecisionEffects(repositories);
  }

  claim(nowMs: number, leaseMs: number, max: number): Job[] {
    return this.jobs.claim(nowMs, leaseMs, max);
  }

  complete(job: Job, summary: ProcessedMessage, nowMs: number): boolean {
    const at = new Date(nowMs).toISOString();
    return this.jobs.complete(job, nowMs, () => {
      this.messages.markProcessed(job.messageId, summary, at);
      this.effects.apply(job.messageId, summary, at);
    });
  }

  fail(job: Job, error: string, nowMs: number): boolean {
    return this.jobs.fail(job, error, nowMs, () => this.messages.markFailed(job.messageId, error, new Date(nowMs).toISOString()));
  }

  retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): boolean {
    return this.jobs.retryLater(job, error, runAfterMs, nowMs);
  }

  nextDueAt(): number | null {
    return this.jobs.nextDueAt();
  }
}

export class LocalJobQueue implements JobQueue {
  private readonly ops: JobOperations;

  constructor(repositories: SqliteRepositories) {
    this.ops = new JobOperations(repositories);
  }

  async claim(nowMs: number, leaseMs: number, max: number): Promise<Job[]> {
    return this.ops.claim(nowMs, leaseMs, max);
  }
  async complete(job: Job, summary: ProcessedMessage, nowMs: number): Promise<boolean> {
    return this.ops.complete(job, summary, nowMs);
  }
  async fail(job: Job, error: string, nowMs: number): Promise<boolean> {
    return this.ops.fail(job, error, nowMs);
  }
  async retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): Promise<boolean> {
    return this.ops.retryLater(job, error, runAfterMs, nowMs);
  }
  async nextDueAt(): Promise<number | null> {
    return this.ops.nextDueAt();
  }
}
