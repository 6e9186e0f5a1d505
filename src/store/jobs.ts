// The durable job queue. A job is claimed with a lease (state 'running', run_after
// = lease end, a fresh token); completing or failing it checks the token, so a job
// whose lease was lost to another worker can never be completed twice.
import { randomUUID } from 'node:crypto';
import type { Sql, SqlStatement } from './sql/sql.ts';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface Job {
  id: number;
  messageId: string;
  kind: string;
  attempts: number;
  leaseToken: string;
}

interface JobRow {
  id: number;
  message_id: string;
  kind: string;
  attempts: number;
  lease_token: string;
}

export class JobStore {
  private readonly sql: Sql;
  private readonly dueStatement: SqlStatement<[number, number], { id: number; attempts: number }>;
  private readonly claimStatement: SqlStatement<[number, string, number, string], JobRow>;
  private readonly finishStatement: SqlStatement;
  private readonly retryStatement: SqlStatement;
  private readonly finishManyStatement: SqlStatement<[number, string, string], { id: number }>;
  /** Jobs a group's transaction marked done in one statement (`finishAhead`): asked for ("id token"), and those whose lease was ours. */
  private ahead: { asked: Set<string>; done: Set<number> } | null = null;

  constructor(sql: Sql) {
    this.sql = sql;
    // Walks the partial index jobs_due; an expired lease is due like a queued job.
    // Jobs another node is claiming right now are passed over (PostgreSQL).
    this.dueStatement = sql.prepare(
      `SELECT id, attempts FROM jobs WHERE state IN ('queued', 'running') AND run_after <= ? ORDER BY run_after, id LIMIT ? ${sql.fn.skipLocked()}`,
    );
    this.claimStatement = sql.prepare(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, run_after = ?, lease_token = ?, updated_at = ?
       WHERE id IN (${sql.fn.jsonValues('integer')})
       RETURNING id, message_id, kind, attempts, lease_token`,
    );
    this.finishStatement = sql.prepare(
      `UPDATE jobs SET state = ?, last_error = ?, lease_token = NULL, updated_at = ? WHERE id = ? AND lease_token = ? AND state = 'running'`,
    );
    this.retryStatement = sql.prepare(
      `UPDATE jobs SET state = 'queued', last_error = ?, run_after = ?, lease_token = NULL, updated_at = ? WHERE id = ? AND lease_token = ? AND state = 'running'`,
    );
    this.finishManyStatement = sql.prepare(
      `UPDATE jobs SET state = 'done', last_error = NULL, lease_token = NULL, updated_at = ?
       WHERE state = 'running' AND id IN (${sql.fn.jsonValues('integer')}) AND CAST(id AS TEXT) || ' ' || lease_token IN (${sql.fn.jsonValues('text')})
       RETURNING id`,
    );
  }

  /**
   * Claims up to `max` due jobs, oldest first; they share one lease token. A job
   * tried before is claimed alone: it may be the message that killed the last
   * pipeline thread, and every job claimed with it would lose an attempt each
   * time it does so again. Fresh jobs come in batches.
   */
  async claim(nowMs: number, leaseMs: number, max = 1): Promise<Job[]> {
    // A savepoint inside the store thread's transaction, a transaction of its own elsewhere.
    const { ids, rows } = await this.sql.transaction(async () => {
      const due = await this.dueStatement.all(nowMs, max);
      if (due.length === 0) return { ids: [], rows: [] };
      const chosen = due[0]!.attempts > 0 ? [due[0]!.id] : due.filter((job) => job.attempts === 0).map((job) => job.id);
      return { ids: chosen, rows: await this.claimStatement.all(nowMs + leaseMs, randomUUID(), nowMs, JSON.stringify(chosen)) };
    });
    return rows
      .map((row) => ({ id: row.id, messageId: row.message_id, kind: row.kind, attempts: row.attempts, leaseToken: row.lease_token }))
      .sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
  }

  /**
   * Runs `effects` and marks the job done in one transaction, only if this worker
   * still holds the lease. Returns false (and changes nothing) when it does not.
   */
  async complete(job: Job, nowMs: number, effects: () => Promise<void>): Promise<boolean> {
    const ahead = this.ahead;
    if (ahead?.asked.has(`${job.id} ${job.leaseToken}`)) {
      // Marked done with its group (same transaction, lease checked there).
      if (!ahead.done.has(job.id)) return false;
      await effects();
      return true;
    }
    return await this.sql.transaction(async () => {
      const { changes } = await this.finishStatement.run('done', null, nowMs, job.id, job.leaseToken);
      if (changes === 0) return false;
      await effects();
      return true;
    });
  }

  /**
   * Inside a group's transaction, marks these jobs done in one statement where
   * the lease is still ours; `complete` then skips its own statement for them
   * until `endAhead`. A job asked for twice (two leases) is left to `complete`.
   */
  async finishAhead(jobs: readonly Job[], nowMs: number): Promise<void> {
    const counts = new Map<number, number>();
    for (const job of jobs) counts.set(job.id, (counts.get(job.id) ?? 0) + 1);
    const once = jobs.filter((job) => counts.get(job.id) === 1);
    if (once.length === 0) return;
    const rows = await this.finishManyStatement.all(
      nowMs,
      JSON.stringify(once.map((job) => job.id)),
      JSON.stringify(once.map((job) => `${job.id} ${job.leaseToken}`)),
    );
    this.ahead = { asked: new Set(once.map((job) => `${job.id} ${job.leaseToken}`)), done: new Set(rows.map((row) => Number(row.id))) };
  }

  /** Ends what `finishAhead` began (at the group transaction's end, committed or not). */
  endAhead(): void {
    this.ahead = null;
  }

  /** Gives up on the job for good; `effects` records the failure where people will see it. */
  async fail(job: Job, error: string, nowMs: number, effects: () => Promise<void>): Promise<boolean> {
    return await this.sql.transaction(async () => {
      const { changes } = await this.finishStatement.run('failed', error, nowMs, job.id, job.leaseToken);
      if (changes === 0) return false;
      await effects();
      return true;
    });
  }

  async retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): Promise<boolean> {
    return (await this.retryStatement.run(error, runAfterMs, nowMs, job.id, job.leaseToken)).changes > 0;
  }

  /**
   * Makes every job left 'running' due now. Only for a server that holds the
   * instance lock: then no live worker can own them.
   */
  async releaseOrphaned(nowMs: number): Promise<number> {
    return (
      await this.sql.prepare(`UPDATE jobs SET state = 'queued', run_after = ?, lease_token = NULL, updated_at = ? WHERE state = 'running'`).run(nowMs, nowMs)
    ).changes;
  }

  /** Makes the jobs still running under these leases due now (their holder is gone; attempts are kept). */
  async releaseLeases(tokens: readonly string[], nowMs: number): Promise<number> {
    return (
      await this.sql
        .prepare(
          `UPDATE jobs SET state = 'queued', run_after = ?, lease_token = NULL, updated_at = ? WHERE state = 'running' AND lease_token IN (${this.sql.fn.jsonValues('text')})`,
        )
        .run(nowMs, nowMs, JSON.stringify(tokens))
    ).changes;
  }

  /** When the next job falls due, for the worker's sleep; null when nothing is pending. */
  async nextDueAt(): Promise<number | null> {
    const row = (await this.sql.prepare(`SELECT MIN(run_after) AS at FROM jobs WHERE state IN ('queued', 'running')`).get()) as { at: number | null };
    return row.at;
  }

  async countByState(): Promise<Record<JobState, number>> {
    const rows = (await this.sql.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all()) as { state: JobState; n: number }[];
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }
}
