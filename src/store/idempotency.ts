// Idempotency-Key of the API's creates: the first request with a key claims it
// (status NULL while it runs), its answer is kept, and a request with the same
// key and the same body is answered the same for a day. Keyed per token, in the
// database, so every node answers a retry alike.
import type { Sql } from './sql/sql.ts';

/** How long a key is remembered. */
export const IDEMPOTENCY_HOURS = 24;

export type IdempotencyClaim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: string }
  /** The key was used with another request. */
  | { kind: 'mismatch' }
  /** The first request with the key is still being answered. */
  | { kind: 'running' };

interface KeyRow {
  request_hash: string;
  status: number | null;
  response: string | null;
}

export class IdempotencyStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** Claims the key for this request, or says what became of it before. */
  async claim(tokenId: number, key: string, requestHash: string, now: Date): Promise<IdempotencyClaim> {
    const at = now.toISOString();
    // Expired keys (any token's) go first: the table holds about a day of keys.
    await this.sql.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(at);
    const expires = new Date(now.getTime() + IDEMPOTENCY_HOURS * 3_600_000).toISOString();
    const inserted = await this.sql
      .prepare('INSERT INTO idempotency_keys (token_id, key, request_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(tokenId, key, requestHash, at, expires);
    if (inserted.changes > 0) return { kind: 'new' };
    const row = (await this.sql.prepare('SELECT request_hash, status, response FROM idempotency_keys WHERE token_id = ? AND key = ?').get(tokenId, key)) as
      KeyRow | undefined;
    // Gone between the two statements (released by a failed first request): the caller may try again.
    if (!row || row.status === null) return row && row.request_hash !== requestHash ? { kind: 'mismatch' } : { kind: 'running' };
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    return { kind: 'replay', status: Number(row.status), body: row.response ?? '' };
  }

  /** Keeps the answer given to the request that claimed the key. */
  async complete(tokenId: number, key: string, status: number, body: string): Promise<void> {
    await this.sql.prepare('UPDATE idempotency_keys SET status = ?, response = ? WHERE token_id = ? AND key = ?').run(status, body, tokenId, key);
  }

  /** The request failed on the server: the key is free again, so a retry runs it anew. */
  async release(tokenId: number, key: string): Promise<void> {
    await this.sql.prepare('DELETE FROM idempotency_keys WHERE token_id = ? AND key = ? AND status IS NULL').run(tokenId, key);
  }
}
