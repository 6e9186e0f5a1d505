// Copies of sent messages on their way to the account's Sent folder (IMAP
// APPEND): the exact bytes sent, kept until they are filed, claimed with a
// lease, retried apart from the outbound queue so a copy never sends the mail
// again. The bytes go once the copy is filed (or given up).
import type { Database } from './database.ts';
import { StatementCache } from './statements.ts';

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
  private readonly db: Database;
  private readonly statements: StatementCache;

  constructor(db: Database) {
    this.db = db;
    this.statements = new StatementCache(db);
  }

  /** Queues the copy of a message just sent; call it in the transaction that marks it sent. */
  queue(outboundId: string, accountId: number, raw: Buffer, nowMs: number): void {
    this.statements
      .get(`INSERT OR IGNORE INTO sent_copies (outbound_id, account_id, raw, state, next_attempt_at) VALUES (?, ?, ?, 'pending', ?)`)
      .run(outboundId, accountId, raw, nowMs);
  }

  get(outboundId: string): SentCopy | null {
    const row = this.statements
      .get('SELECT outbound_id, account_id, NULL AS raw, state, attempts, last_error, folder, copied_at FROM sent_copies WHERE outbound_id = ?')
      .get(outboundId) as Row | undefined;
    return row ? toCopy(row) : null;
  }

  /** Pending copies that are due, leased to the caller for `leaseMs`. */
  claimDue(nowMs: number, leaseMs: number, max: number): DueSentCopy[] {
    return this.db
      .transaction(() => {
        const rows = this.statements
          .get(
            `SELECT outbound_id, account_id, raw, state, attempts, last_error, folder, copied_at FROM sent_copies
             WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at LIMIT ?`,
          )
          .all(nowMs, nowMs, max) as Row[];
        const lease = this.statements.get('UPDATE sent_copies SET lease_until = ? WHERE outbound_id = ?');
        for (const r of rows) lease.run(nowMs + leaseMs, r.outbound_id);
        return rows.filter((r) => r.raw !== null).map((r) => ({ ...toCopy(r), raw: r.raw as Buffer }));
      })
      .immediate();
  }

  /** Filed: the bytes are no longer needed. */
  markCopied(outboundId: string, folder: string, at: string): void {
    this.statements
      .get(
        `UPDATE sent_copies SET state = 'copied', raw = NULL, folder = ?, copied_at = ?, lease_until = NULL, last_error = NULL, attempts = attempts + 1 WHERE outbound_id = ?`,
      )
      .run(folder, at, outboundId);
  }

  /** A failed attempt: tried again at `nextAttemptAt`, or given up (and the bytes dropped) when that is null. */
  markAttemptFailed(outboundId: string, error: string, nextAttemptAt: number | null): void {
    if (nextAttemptAt === null) {
      this.statements
        .get(`UPDATE sent_copies SET state = 'failed', raw = NULL, last_error = ?, lease_until = NULL, attempts = attempts + 1 WHERE outbound_id = ?`)
        .run(error, outboundId);
      return;
    }
    this.statements
      .get('UPDATE sent_copies SET last_error = ?, next_attempt_at = ?, lease_until = NULL, attempts = attempts + 1 WHERE outbound_id = ?')
      .run(error, nextAttemptAt, outboundId);
  }

  /** When the next pending copy is due (ms; a leased one when its lease ends), or null when none waits. */
  nextDueAt(): number | null {
    return (
      (this.statements.get(`SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) FROM sent_copies WHERE state = 'pending'`).pluck().get() as
        number | null) ?? null
    );
  }
}
