// The worker: takes each stored message through its durable pipeline job. Jobs
// are claimed in small batches with a lease, retried with exponential backoff
// when a stage throws, resumed after a crash (the lease runs out, or the next
// server start releases them), and completed at most once (the lease token is
// checked by the completing transaction).
import type { Config } from '../config/index.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { START_QUIET_MS } from '../runtime/on-demand-thread.ts';
import { IdleReporter } from '../runtime/supervised-thread.ts';
import type { JobQueue } from '../commit/index.ts';
import type { DecisionSummary, Envelope, Job, ProcessedMessage } from '../store/index.ts';
import { runPipelineGroup, type PipelineDeps, type PipelineResult } from './stages.ts';

/** Jobs claimed at once; their results are written back together (one commit). */
export const CLAIM_BATCH = 16;
/** Commits within START_QUIET_MS that make intake a burst (80 a second; a commit carries every message that completed DATA meanwhile). */
const BURST_COMMITS = 20;
/**
 * A pause for a burst ends once intake has committed nothing for this long: in a burst commits follow each other
 * every few milliseconds (at the 80 a second that make a burst, 12 ms apart on average), so a gap of 50 ms says it
 * is over. Waiting START_QUIET_MS instead (a stopped thread's start, which costs far more) left both cores idle for
 * a quarter of a second after every burst.
 */
const BURST_OVER_MS = 50;
/** Bytes of messages a group going through the pipeline together holds at most (one larger message goes alone). */
const GROUP_BYTES = 4 * 1024 * 1024;

/**
 * Claimed messages, in order, in the groups that go through the pipeline
 * together, a stage at a time (stages.ts says why). A group runs once it is
 * full or the next message would overfill it, so the messages held when the
 * next is read stay under GROUP_BYTES (a larger one runs alone). Lazy: the
 * worker reads a message only when its group is being formed.
 */
export async function* pipelineGroups<T>(items: Iterable<T> | AsyncIterable<T>, bytes: (item: T) => number): AsyncGenerator<T[]> {
  let group: T[] = [];
  let groupBytes = 0;
  for await (const item of items) {
    const size = bytes(item);
    if (group.length > 0 && groupBytes + size > GROUP_BYTES) {
      yield group;
      [group, groupBytes] = [[], 0];
    }
    group.push(item);
    groupBytes += size;
    if (groupBytes >= GROUP_BYTES) {
      yield group;
      [group, groupBytes] = [[], 0];
    }
  }
  if (group.length > 0) yield group;
}

export interface WorkerDeps {
  settings: Config['worker'];
  queue: JobQueue;
  readMessage: (messageId: string) => Promise<{ raw: Buffer; envelope: Envelope } | null>;
  /**
   * A claimed batch's messages read at once (one round trip on PostgreSQL instead of one a message), each as a
   * function that gives it (a large one's spool file is read only then); without it, readMessage one at a time.
   */
  readMessages?: (messageIds: readonly string[]) => Promise<Map<string, () => { raw: Buffer; envelope: Envelope } | null>>;
  pipeline: PipelineDeps;
  /** The matching decision for a processed message; without it messages end as `processed`. */
  match?: (messageId: string, processed: ProcessedMessage, message: { raw: Buffer; envelope: Envelope }) => Promise<DecisionSummary | null>;
  log: Logger;
  nowMs: () => number;
  /** Called after each message with its bytes released (the thread's heap guard). */
  afterMessage?: () => void;
  /** Called once the worker has had no work for settings.idleStopMs, with when the next job falls due (null: none pending). */
  onIdle?: (nextDueAt: number | null) => void;
}

/**
 * Frees a message's bytes now instead of at this thread's next GC, which may be
 * far off: the thread allocates little besides them, so dead buffers of many
 * megabytes would pile up. Only for a buffer that owns its memory alone.
 */
function release(raw: Buffer): void {
  const buffer = raw.buffer;
  if (buffer instanceof ArrayBuffer && raw.byteOffset === 0 && raw.byteLength === buffer.byteLength && !buffer.detached) buffer.transfer(0);
}

type Outcome = { job: Job; result: PipelineResult } | { job: Job; error: Error };
/** A claimed job with its stored message read. */
interface Loaded {
  job: Job;
  message: { raw: Buffer; envelope: Envelope };
}

export class Worker {
  private readonly deps: WorkerDeps;
  private running = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private loop: Promise<void> | null = null;
  /** The last batch's outcomes being recorded, while the next batch is claimed and processed. */
  private recording: Promise<void> = Promise.resolve();
  private lastWorkAt = -Infinity;
  /** When intake's last few commits were (oldest first, at most BURST_COMMITS): how busy intake is. */
  private readonly recentCommits: number[] = [];
  private idle: IdleReporter | null = null;
  private stopPause: (() => void) | null = null;

  constructor(deps: WorkerDeps) {
    this.deps = deps;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { onIdle } = this.deps;
    this.idle = onIdle ? new IdleReporter(this.deps.settings.idleStopMs, this.deps.nowMs, onIdle) : null;
    this.loop = this.run();
  }

  /** Called when new work was committed, so it does not wait for the next poll. */
  wake(): void {
    this.woken = true;
    this.lastWorkAt = this.deps.nowMs();
    this.recentCommits.push(this.lastWorkAt);
    if (this.recentCommits.length > BURST_COMMITS) this.recentCommits.shift();
    this.idle?.busy();
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    this.stopPause?.();
    await this.loop;
  }

  /** Whether intake is in a burst: its last BURST_COMMITS commits all fell within START_QUIET_MS, the latest just now. */
  private intakeInBurst(now: number): boolean {
    const oldest = this.recentCommits[0];
    return (
      this.recentCommits.length >= BURST_COMMITS && oldest !== undefined && this.lastWorkAt - oldest <= START_QUIET_MS && now - this.lastWorkAt < START_QUIET_MS
    );
  }

  /**
   * During a burst, accepting mail comes first: after a batch the worker waits
   * until intake has been quiet for BURST_OVER_MS, but never longer than burstPauseMs, so a long
   * burst still sees its mail processed. A fixed short pause left the pipeline a
   * good share of a core beside the listener (docs/performance.md); a full claim
   * as the sign of a burst missed a worker that keeps up by claiming a few at a
   * time; pausing after every batch made a message that arrives alone wait.
   * The backlog is durable and drains at full speed once the burst is over.
   */
  private async yieldToIntake(): Promise<void> {
    const { burstPauseMs } = this.deps.settings;
    if (!this.intakeInBurst(this.deps.nowMs())) return;
    const startedAt = this.deps.nowMs();
    while (this.running && burstPauseMs > 0) {
      const now = this.deps.nowMs();
      const quietIn = this.lastWorkAt + BURST_OVER_MS - now;
      const left = startedAt + burstPauseMs - now;
      if (quietIn <= 0 || left <= 0) return;
      await this.delay(Math.min(quietIn, left), (cut) => (this.stopPause = cut));
    }
  }

  /** Waits `ms`, or less if the function handed to `expose` is called first. */
  private delay(ms: number, expose: (cut: (() => void) | null) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        expose(null);
        resolve();
      };
      const timer = setTimeout(done, ms);
      expose(done);
    });
  }

  private async run(): Promise<void> {
    let ahead: Promise<Job[]> | null = null;
    while (this.running) {
      this.woken = false;
      const jobs = await (ahead ?? this.claim());
      ahead = null;
      if (jobs.length > 0) {
        this.idle?.busy();
        // A full batch says more are waiting: the next claim goes out now, ahead of this batch's completion. On SQLite
        // the store thread answers in order, so a claim sent after the completion waited for its commit and fsync
        // while this thread sat idle (a quarter of its time when draining a backlog).
        // Not after stop (the batch would only hold the stop up), nor in a burst (the pause that follows gains nothing
        // from it, and a batch claimed ahead of a long pause holds its leases and, if the thread dies, its attempts).
        if (this.running && jobs.length === CLAIM_BATCH && !this.intakeInBurst(this.deps.nowMs())) ahead = this.claim();
        await this.runBatch(jobs);
        if (this.running) await this.yieldToIntake();
        continue;
      }
      if (!this.woken) await this.sleep();
    }
    // A batch claimed ahead is processed rather than left until its lease runs out.
    const claimedAhead = ahead ? await ahead : [];
    if (claimedAhead.length > 0) await this.runBatch(claimedAhead);
    await this.recording;
  }

  private async claim(): Promise<Job[]> {
    try {
      return await this.deps.queue.claim(this.deps.nowMs(), this.deps.settings.leaseMs, CLAIM_BATCH);
    } catch (err) {
      this.deps.log.error({ err }, 'claiming jobs failed; will retry');
      return [];
    }
  }

  private async sleep(): Promise<void> {
    const { pollIntervalMs } = this.deps.settings;
    let delay = pollIntervalMs;
    let due: number | null | undefined;
    try {
      due = await this.deps.queue.nextDueAt();
      if (due !== null) delay = Math.max(0, Math.min(pollIntervalMs, due - this.deps.nowMs()));
    } catch {
      // the poll interval will do
    }
    if (this.woken || !this.running) return;
    if (due !== undefined) this.idle?.quiet(due);
    await this.delay(delay, (cut) => (this.wakeUp = cut));
  }

  private async runBatch(jobs: Job[]): Promise<void> {
    const outcomes: Outcome[] = [];
    for await (const group of pipelineGroups(this.loaded(jobs, outcomes), (one) => one.message.raw.length)) outcomes.push(...(await this.process(group)));
    // Sent together, the results land in one store transaction. It commits while the next batch is claimed and
    // processed (on PostgreSQL it is many round trips the thread would otherwise wait for); one batch waits at most.
    const previous = this.recording;
    this.recording = previous.then(async () => void (await Promise.all(outcomes.map((outcome) => this.record(outcome)))));
    await previous;
  }

  /** The jobs with their messages, read as the groups are formed; one that cannot be read goes to `failed` at once. */
  private async *loaded(jobs: Job[], failed: Outcome[]): AsyncGenerator<Loaded> {
    const { maxAttempts } = this.deps.settings;
    const { readMessages } = this.deps;
    const batch = readMessages
      ? await readMessages(jobs.filter((job) => job.attempts <= maxAttempts).map((job) => job.messageId)).catch((err: unknown) => asError(err))
      : null;
    for (const job of jobs) {
      // Claimed more often than allowed: earlier attempts crashed the process.
      if (job.attempts > maxAttempts) {
        failed.push({ job, error: new Error(`gave up after ${maxAttempts} attempts`) });
        continue;
      }
      let message: Loaded['message'] | null;
      try {
        if (batch instanceof Error) throw batch;
        message = batch ? (batch.get(job.messageId.toUpperCase())?.() ?? null) : await this.deps.readMessage(job.messageId);
      } catch (err) {
        failed.push({ job, error: asError(err) });
        continue;
      }
      if (message) yield { job, message };
      else failed.push({ job, error: new Error('raw message missing') });
    }
  }

  private async process(group: Loaded[]): Promise<Outcome[]> {
    const { settings } = this.deps;
    const inputs = group.map(({ job, message }) => ({ ...message, lastAttempt: job.attempts >= settings.maxAttempts }));
    let results: (PipelineResult | Error)[];
    try {
      results = await runPipelineGroup(inputs, this.deps.pipeline, settings.concurrency);
    } catch (err) {
      results = group.map(() => asError(err));
    }
    // All of the group at once: on PostgreSQL matching is a dozen round trips a message, which then overlap on the pool
    // instead of following one another (SQLite answers at once either way). Each buffer goes back as soon as its message is matched.
    return await Promise.all(group.map(({ job, message }, i) => this.matched(job, message, results[i] as PipelineResult | Error)));
  }

  private async matched(job: Job, message: Loaded['message'], result: PipelineResult | Error): Promise<Outcome> {
    try {
      if (result instanceof Error) return { job, error: result };
      const decision = (await this.deps.match?.(job.messageId, result.processed, message)) ?? null;
      return { job, result: { processed: { ...result.processed, decision } } };
    } catch (err) {
      return { job, error: asError(err) };
    } finally {
      release(message.raw);
      this.deps.afterMessage?.();
    }
  }

  private async record(outcome: Outcome): Promise<void> {
    const { queue, settings } = this.deps;
    const { job } = outcome;
    const log = this.deps.log.child({ message: job.messageId, job: job.id, attempt: job.attempts });
    const now = this.deps.nowMs();
    try {
      if ('result' in outcome) {
        if (await queue.complete(job, outcome.result.processed, now)) log.info('message processed');
        else log.warn('job lease was lost before completion; the result was discarded');
        return;
      }
      const error = outcome.error.message;
      if (job.attempts >= settings.maxAttempts) {
        await queue.fail(job, error, now);
        log.error({ err: outcome.error }, 'pipeline failed for the last time; message marked failed (npx mailroom messages list --status failed)');
        return;
      }
      const delay = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** (job.attempts - 1));
      await queue.retryLater(job, error, now + delay, now);
      log.warn({ err: outcome.error, retryInMs: delay }, 'pipeline failed; will retry');
    } catch (err) {
      // The job stays claimed; its lease runs out and it is taken up again.
      log.error({ err }, 'recording the pipeline result failed; the job will run again');
    }
  }
}
