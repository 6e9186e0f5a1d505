// Where attachment bytes live. The pipeline streams each attachment to a
// content-addressed file in its node's data dir (parse/attachments.ts). On
// SQLite (one machine) those files are the store. On PostgreSQL every node must
// read what any node parsed: when a job completes, its attachments' bytes go
// into attachment_blobs, once per content (sha256), and readers take them from
// there when the file is not on their own disk.
import { readFile, stat } from 'node:fs/promises';
import { attachmentPath } from '../parse/attachments.ts';
import { placeholders, type Sql } from './sql/sql.ts';

export type AttachmentLocation = { bytes: Buffer } | { file: string; size: number };

export class AttachmentStore {
  private readonly sql: Sql;
  private readonly dataDir: string;

  constructor(sql: Sql, dataDir: string) {
    this.sql = sql;
    this.dataDir = dataDir;
  }

  private get shared(): boolean {
    return this.sql.dialect === 'postgres';
  }

  /** PostgreSQL: the bytes of these attachments (files this node's pipeline just wrote) into the shared table. SQLite: nothing to do. */
  async keep(sha256s: readonly string[], nowMs: number): Promise<void> {
    if (!this.shared) return;
    const upsert = this.sql.prepare(
      // Stored once per content; kept again, it counts as recent (retention spares it).
      'INSERT INTO attachment_blobs (sha256, bytes, kept_at) VALUES (?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET kept_at = excluded.kept_at',
    );
    const touch = this.sql.prepare('UPDATE attachment_blobs SET kept_at = ? WHERE sha256 = ?');
    for (const sha256 of new Set(sha256s)) {
      if ((await touch.run(nowMs, sha256)).changes > 0) continue;
      const bytes = await readFile(attachmentPath(this.dataDir, sha256)).catch(() => null);
      if (bytes) await upsert.run(sha256, bytes, nowMs);
    }
  }

  /** This node's file when it has one, else (PostgreSQL) the shared bytes; null when neither exists. */
  async locate(sha256: string): Promise<AttachmentLocation | null> {
    const file = attachmentPath(this.dataDir, sha256);
    const found = await stat(file).catch(() => null);
    if (found) return { file, size: found.size };
    if (!this.shared) return null;
    const bytes = await this.sql.prepare('SELECT bytes FROM attachment_blobs WHERE sha256 = ?').pluck<Buffer>().get(sha256);
    return bytes ? { bytes } : null;
  }

  /** PostgreSQL: those of these attachments kept before `sinceMs` (retention may delete them). SQLite: all of them (its files say their own age). */
  async keptBefore(sha256s: readonly string[], sinceMs: number): Promise<string[]> {
    if (!this.shared || sha256s.length === 0) return [...sha256s];
    const recent = new Set(
      await this.sql
        .prepare(`SELECT sha256 FROM attachment_blobs WHERE sha256 IN (${placeholders(sha256s.length)}) AND kept_at >= ?`)
        .pluck<string>()
        .all(...sha256s, sinceMs),
    );
    return sha256s.filter((sha) => !recent.has(sha));
  }

  /** PostgreSQL: deletes these attachments' shared bytes (nothing refers to them any more). */
  async drop(sha256s: readonly string[]): Promise<void> {
    if (!this.shared || sha256s.length === 0) return;
    await this.sql.prepare(`DELETE FROM attachment_blobs WHERE sha256 IN (${placeholders(sha256s.length)})`).run(...sha256s);
  }
}
