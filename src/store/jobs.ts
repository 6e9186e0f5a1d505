// The durable job queue. A job is claimed with a lease (state 'running', run_after
// = lease end, a fresh token); completing or failing it checks the token, so a job
// whose lease was lost to another worker can never be completed twice.
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Database } from './database.ts';

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
  private readonly db: Database;
  private readonly dueStatement: Statement<[number, number], { id: number; attempts: number }>;
  private readonly claimStatement: Statement<[number, string, number, string], JobRow>;
  private readonly finishStatement: Statement;
  private readonly retryStatement: Statement;

  constructor(db: Database) {
    this.db = db;
    // Walks the partial index jobs_due; an expired lease is due like a queued job.
    this.dueStatement = db.prepare(`SELECT id, attempts FROM jobs WHERE state IN ('queued', 'running') AND run_after <= ? ORDER BY run_after LIMIT ?`);
    this.claimStatement = db.prepare(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, run_after = ?, lease_token = ?, updated_at = ?
       WHERE id IN (SELECT value FROM json_each(?))
       RETURNING id, message_id, kind, attempts, lease_token`,
    );
    this.finishStatement = db.prepare(
      `UPDATE jobs SET state = ?, last_error = ?, lease_token = NULL, updated_at = ? WHERE id = ? AND lease_token = ? AND state = 'running'`,
    );
    this.retryStatement = db.prepare(
      `UPDATE jobs SET state = 'queued', last_error = ?, run_after = ?, lease_token = NULL, updated_at = ? WHERE id = ? AND lease_token = ? AND state = 'running'`,
    );
  }

  /**
   * Claims up to `max` due jobs, oldest first; they share one lease token. A job
   * tried before is claimed alone: it may be the message that killed the last
   * pipeline thread, and every job claimed with it would lose an attempt each
   * time it does so again. Fresh jobs come in batches.
   */
  claim(nowMs: number, leaseMs: number, max = 1): Job[] {
    // A savepoint inside the store thread's transaction, a transaction of its own elsewhere.
    const { ids, rows } = this.db
      .transaction(() => {
        const due = this.dueStatement.all(nowMs, max);
        if (due.length === 0) return { ids: [], rows: [] };
        const chosen = due[0]!.attempts > 0 ? [due[0]!.id] : due.filter((job) => job.attempts === 0).map((job) => job.id);
        return { ids: chosen, rows: this.claimStatement.all(nowMs + leaseMs, randomUUID(), nowMs, JSON.stringify(chosen)) };
      })
      .immediate();
    return rows
      .map((row) => ({ id: row.id, messageId: row.message_id, kind: row.kind, attempts: row.attempts, leaseToken: row.lease_token }))
      .sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
  }

  /**
   * Runs `effects` and marks the job done in one transaction, only if this worker
   * still holds the lease. Returns false (and changes nothing) when it does not.
   */
  complete(job: Job, nowMs: number, effects: () => void): boolean {
    return this.db
      .transaction(() => {
        const { changes } = this.finishStatement.run('done', null, nowMs, job.id, job.leaseToken);
        if (changes === 0) return false;
        effects();
        return true;
      })
      .immediate();
  }

  /** Gives up on the job for good; `effects` records the failure where people will see it. */
  fail(job: Job, error: string, nowMs: number, effects: () => void): boolean {
    return this.db
      .transaction(() => {
        const { changes } = this.finishStatement.run('failed', error, nowMs, job.id, job.leaseToken);
        if (changes === 0) return false;
        effects();
        return true;
      })
      .immediate();
  }

  retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): boolean {
    return this.retryStatement.run(error, runAfterMs, nowMs, job.id, job.leaseToken).changes > 0;
  }

  /**
   * Makes every job left 'running' due now. Only for a server that holds the
   * instance lock: then no live worker can own them.
   */
  releaseOrphaned(nowMs: number): number {
    return this.db.prepare(`UPDATE jobs SET state = 'queued', run_after = ?, lease_token = NULL, updated_at = ? WHERE state = 'running'`).run(nowMs, nowMs)
      .changes;
  }

  /** Makes the jobs still running under these leases due now (their holder is gone; attempts are kept). */
  releaseLeases(tokens: readonly string[], nowMs: number): number {
    return this.db
      .prepare(
        `UPDATE jobs SET state = 'queued', run_after = ?, lease_token = NULL, updated_at = ? WHERE state = 'running' AND lease_token IN (SELECT value FROM json_each(?))`,
      )
      .run(nowMs, nowMs, JSON.stringify(tokens)).changes;
  }

  /** When the next job falls due, for the worker's sleep; null when nothing is pending. */
  nextDueAt(): number | null {
    const row = this.db.prepare(`SELECT MIN(run_after) AS at FROM jobs WHERE state IN ('queued', 'running')`).get() as { at: number | null };
    return row.at;
  }

  countByState(): Record<JobState, number> {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[];
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }
}
