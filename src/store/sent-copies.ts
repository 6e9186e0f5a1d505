// Copies of sent messages on their way to the account's Sent folder (IMAP
// APPEND): the exact bytes sent, kept until they are filed, claimed with a
// lease, retried apart from the outbound queue so a copy never sends the mail
// again. The bytes go once the copy is filed (or given up).
import type { Sql } from './sql/sql.ts';

export type SentCopyState = 'pending' | 'copied' | 'failed';

export interface SentCopy {
  outboundId: string;
  accountId: number;
  state: SentCopyState;
  attempts: number;
  lastError: string | null;
  folder: string | null;
  copiedAt: string | null;
}

export interface DueSentCopy extends SentCopy {
  raw: Buffer;
}

interface Row {
  outbound_id: string;
  account_id: number;
  raw: Buffer | null;
  state: SentCopyState;
  attempts: number;
  last_error: string | null;
  folder: string | null;
  copied_at: string | null;
}

const toCopy = (r: Row): SentCopy => ({
  outboundId: r.outbound_id,
  accountId: r.account_id,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  folder: r.folder,
  copiedAt: r.copied_at,
});

export class SentCopyStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** Queues the copy of a message just sent; call it in the transaction that marks it sent. */
  async queue(outboundId: string, accountId: number, raw: Buffer, nowMs: number): Promise<void> {
    await this.sql
      .prepare(`INSERT INTO sent_copies (outbound_id, account_id, raw, state, next_attempt_at) VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING`)
      .run(outboundId, accountId, raw, nowMs);
  }

  async get(outboundId: string): Promise<SentCopy | null> {
    const row = (await this.sql
      .prepare('SELECT outbound_id, account_id, NULL AS raw, state, attempts, last_error, folder, copied_at FROM sent_copies WHERE outbound_id = ?')
      .get(outboundId)) as Row | undefined;
    return row ? toCopy(row) : null;
  }

  /** Pending copies that are due, leased to the caller for `leaseMs`. */
  async claimDue(nowMs: number, leaseMs: number, max: number): Promise<DueSentCopy[]> {
    return await this.sql.transaction(async () => {
      const rows = (await this.sql
        .prepare(
          `SELECT outbound_id, account_id, raw, state, attempts, last_error, folder, copied_at FROM sent_copies
             WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, outbound_id LIMIT ? ${this.sql.fn.skipLocked()}`,
        )
        .all(nowMs, nowMs, max)) as Row[];
      const lease = this.sql.prepare('UPDATE sent_copies SET lease_until = ? WHERE outbound_id = ?');
      for (const r of rows) await lease.run(nowMs + leaseMs, r.outbound_id);
      return rows.filter((r) => r.raw !== null).map((r) => ({ ...toCopy(r), raw: r.raw as Buffer }));
    });
  }

  /** Filed: the bytes are no longer needed. */
  async markCopied(outboundId: string, folder: string, at: string): Promise<void> {
    await this.sql
      .prepare(
        `UPDATE sent_copies SET state = 'copied', raw = NULL, folder = ?, copied_at = ?, lease_until = NULL, last_error = NULL, attempts = attempts + 1 WHERE outbound_id = ?`,
      )
      .run(folder, at, outboundId);
  }

  /** A failed attempt: tried again at `nextAttemptAt`, or given up (and the bytes dropped) when that is null. */
  async markAttemptFailed(outboundId: string, error: string, nextAttemptAt: number | null): Promise<void> {
    if (nextAttemptAt === null) {
      await this.sql
        .prepare(`UPDATE sent_copies SET state = 'failed', raw = NULL, last_error = ?, lease_until = NULL, attempts = attempts + 1 WHERE outbound_id = ?`)
        .run(error, outboundId);
      return;
    }
    await this.sql
      .prepare('UPDATE sent_copies SET last_error = ?, next_attempt_at = ?, lease_until = NULL, attempts = attempts + 1 WHERE outbound_id = ?')
      .run(error, nextAttemptAt, outboundId);
  }

  /** When the next pending copy is due (ms; a leased one when its lease ends), or null when none waits. */
  async nextDueAt(): Promise<number | null> {
    return (
      ((await this.sql
        .prepare(`SELECT MIN(${this.sql.fn.greatest('next_attempt_at', 'COALESCE(lease_until, 0)')}) FROM sent_copies WHERE state = 'pending'`)
        .pluck()
        .get()) as number | null) ?? null
    );
  }
}
