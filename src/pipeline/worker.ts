// The worker: takes each stored message through its durable pipeline job. A job
// is claimed with a lease, retried with exponential backoff when a stage throws,
// resumed after a crash (its lease runs out), and completed at most once.
import type { Config } from '../config/index.ts';
import type { Logger } from '../log.ts';
import type { Job, JobStore, MessageStore } from '../store/index.ts';
import { runPipeline } from './stages.ts';

export interface WorkerDeps {
  settings: Config['worker'];
  jobs: JobStore;
  messages: MessageStore;
  log: Logger;
  nowMs: () => number;
}

export class Worker {
  private readonly deps: WorkerDeps;
  private running = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private processed = 0;

  constructor(deps: WorkerDeps) {
    this.deps = deps;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Called when new work was committed, so it does not wait for the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  get completed(): number {
    return this.processed;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let job: Job | null = null;
      try {
        job = this.deps.jobs.claim(this.deps.nowMs(), this.deps.settings.leaseMs);
      } catch (err) {
        this.deps.log.error({ err }, 'claiming a job failed; will retry');
      }
      if (job) {
        await this.runJob(job);
        continue;
      }
      await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    const { pollIntervalMs } = this.deps.settings;
    let delay = pollIntervalMs;
    try {
      const due = this.deps.jobs.nextDueAt();
      if (due !== null) delay = Math.max(0, Math.min(pollIntervalMs, due - this.deps.nowMs()));
    } catch {
      // the poll interval will do
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, delay);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  private async runJob(job: Job): Promise<void> {
    const { jobs, messages, settings } = this.deps;
    const log = this.deps.log.child({ message: job.messageId, job: job.id, attempt: job.attempts });
    const at = (): string => new Date(this.deps.nowMs()).toISOString();
    if (job.attempts > settings.maxAttempts) {
      // Claimed more often than allowed: earlier attempts crashed the process or threw.
      const error = `gave up after ${settings.maxAttempts} attempts`;
      jobs.fail(job, error, this.deps.nowMs(), () => messages.markFailed(job.messageId, error, at()));
      log.error('pipeline job given up; message marked failed (mailroom messages list --status failed)');
      return;
    }
    try {
      const raw = messages.raw(job.messageId);
      if (!raw) throw new Error('raw message missing');
      const result = await runPipeline(raw);
      const completed = jobs.complete(job, this.deps.nowMs(), () => messages.markProcessed(job.messageId, result.summary, at()));
      if (completed) {
        this.processed++;
        log.info('message processed');
      } else {
        log.warn('job lease was lost before completion; the result was discarded');
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (job.attempts >= settings.maxAttempts) {
        jobs.fail(job, error, this.deps.nowMs(), () => messages.markFailed(job.messageId, error, at()));
        log.error({ err }, 'pipeline failed for the last time; message marked failed');
        return;
      }
      const delay = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** (job.attempts - 1));
      jobs.retryLater(job, error, this.deps.nowMs() + delay, this.deps.nowMs());
      log.warn({ err, retryInMs: delay }, 'pipeline failed; will retry');
    }
  }
}
