// Retention: the raw bytes and attachment files of processed messages older
// than retention.rawDays are deleted; the row, its verdicts, decision and reply
// text stay, so the queue and a candidate's history still read the same. A
// content-addressed attachment file goes only with the last message using it.
//
// The pipeline may be storing the same attachment for a new message while this
// runs (its file exists, so it is reused, not written). Such a reuse touches the
// file, and its in-memory "stored recently" list forgets entries after ten
// minutes (parse/attachments.ts), so a file this deletes must also be untouched
// for RECENT_MS: no message in flight can be counting on it.
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTime } from 'ulid';
import { attachmentPath } from '../parse/attachments.ts';
import { AttachmentStore } from './attachments.ts';
import type { Sql } from './sql/sql.ts';

/** A file touched this recently may belong to a message the pipeline is storing now. */
export const RECENT_MS = 60 * 60_000;
/** Messages per transaction: short, since intake's commits wait for the write lock meanwhile. */
const BATCH = 200;

export interface PurgeReport {
  messages: number;
  rawBytes: number;
  attachmentFiles: number;
  attachmentBytes: number;
}

export interface PurgeOptions {
  /** Messages received before this time lose their raw bytes. */
  before: Date;
  dryRun: boolean;
  now: Date;
  /** Called after each batch with the running totals. */
  progress?: (report: PurgeReport) => void;
  /** Asked between batches: true ends the run there (the server is stopping). */
  stopping?: () => boolean;
}

interface Candidate {
  id: string;
  size: number;
  path: string | null;
}

export class RetentionStore {
  private readonly sql: Sql;
  private readonly dataDir: string;
  private readonly attachments: AttachmentStore;

  constructor(sql: Sql, dataDir: string) {
    this.sql = sql;
    this.dataDir = dataDir;
    this.attachments = new AttachmentStore(sql, dataDir);
  }

  /** Attachments nothing else refers to and nobody stored in the last RECENT_MS: this node's files, and on PostgreSQL the shared bytes. */
  private async deletable(unreferenced: readonly string[], recentSince: number): Promise<string[]> {
    const oldHere = unreferenced.filter((sha) => {
      const stat = statSync(attachmentPath(this.dataDir, sha), { throwIfNoEntry: false });
      return this.sql.dialect === 'postgres' ? stat === undefined || stat.mtimeMs < recentSince : stat !== undefined && stat.mtimeMs < recentSince;
    });
    return this.attachments.keptBefore(oldHere, recentSince);
  }

  /** Processed messages received before `before` whose raw bytes are still kept, oldest first, after `afterId`. */
  private async candidates(before: Date, afterId: string): Promise<Candidate[]> {
    // Message ids are ULIDs: every id made before `before` sorts below this one, so the primary key finds them.
    const bound = `${encodeTime(before.getTime(), 10)}0000000000000000`;
    return (await this.sql
      .prepare(
        `SELECT m.id, m.size, r.path FROM messages m JOIN message_raw r ON r.message_id = m.id
         WHERE m.id < ? AND m.id > ? AND m.processed_at IS NOT NULL AND m.status NOT IN ('received', 'failed')
         ORDER BY m.id LIMIT ?`,
      )
      .all(bound, afterId, BATCH)) as Candidate[];
  }

  /** Attachment files of these messages that no other message still kept uses. */
  private async orphanedBy(ids: readonly string[], excluding: ReadonlySet<string>): Promise<string[]> {
    const shas = (await this.sql
      .prepare(`SELECT DISTINCT sha256 FROM attachment_refs WHERE message_id IN (${this.sql.fn.jsonValues('text')})`)
      .pluck()
      .all(JSON.stringify(ids))) as string[];
    const usedElsewhere = this.sql.prepare(
      `SELECT 1 FROM attachment_refs a JOIN messages m ON m.id = a.message_id WHERE a.sha256 = ? AND m.raw_purged_at IS NULL AND a.message_id NOT IN (${this.sql.fn.jsonValues('text')}) LIMIT 1`,
    );
    const excluded = JSON.stringify([...excluding]);
    const unused: string[] = [];
    for (const sha of shas) if (!(await usedElsewhere.get(sha, excluded))) unused.push(sha);
    return unused;
  }

  private fileSize(path: string): number {
    return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  }

  /**
   * Deletes (or, dry, counts) what retention removes; returns the totals. The
   * event loop is let go between batches: `serve` runs this on the thread that
   * answers SMTP.
   */
  async purge(options: PurgeOptions): Promise<PurgeReport> {
    const report: PurgeReport = { messages: 0, rawBytes: 0, attachmentFiles: 0, attachmentBytes: 0 };
    const recentSince = options.now.getTime() - RECENT_MS;
    const purgedSoFar = new Set<string>();
    let afterId = '';
    while (!options.stopping?.()) {
      const batch = await this.candidates(options.before, afterId);
      if (batch.length === 0) break;
      afterId = (batch[batch.length - 1] as Candidate).id;
      const ids = batch.map((c) => c.id);
      for (const id of ids) purgedSoFar.add(id);
      // In a dry run nothing is marked, so the earlier batches count as gone too.
      const orphans = await this.deletable(await this.orphanedBy(ids, options.dryRun ? purgedSoFar : new Set(ids)), recentSince);
      report.messages += batch.length;
      report.rawBytes += batch.reduce((n, c) => n + c.size, 0);
      report.attachmentFiles += orphans.length;
      report.attachmentBytes += orphans.reduce((n, sha) => n + this.fileSize(attachmentPath(this.dataDir, sha)), 0);
      if (!options.dryRun) await this.apply(batch, orphans, options.now);
      options.progress?.({ ...report });
      await new Promise((resolve) => setImmediate(resolve));
    }
    return report;
  }

  /**
   * Deletes every message of these tenants (a tenant removed with its data):
   * rows, raw bytes, and the attachment files no other message uses. Files
   * stored in the last RECENT_MS stay, as in purge(): a message in flight may
   * be counting on one. Returns how many messages went.
   */
  async dropMessagesOf(tenantIds: readonly number[], now: Date): Promise<number> {
    const recentSince = now.getTime() - RECENT_MS;
    const select = this.sql.prepare(
      `SELECT m.id, m.size, r.path FROM messages m LEFT JOIN message_raw r ON r.message_id = m.id
       WHERE m.tenant_id IN (${this.sql.fn.jsonValues('integer')}) ORDER BY m.id LIMIT ?`,
    );
    const drop = this.sql.prepare(`DELETE FROM messages WHERE id IN (${this.sql.fn.jsonValues('text')})`);
    let dropped = 0;
    for (;;) {
      const batch = (await select.all(JSON.stringify(tenantIds), BATCH)) as Candidate[];
      if (batch.length === 0) return dropped;
      const ids = batch.map((c) => c.id);
      const orphans = await this.deletable(await this.orphanedBy(ids, new Set(ids)), recentSince);
      await this.sql.transaction(async () => {
        await drop.run(JSON.stringify(ids));
        await this.attachments.drop(orphans);
      });
      for (const c of batch) if (c.path) rmSync(join(this.dataDir, c.path), { force: true });
      for (const sha of orphans) rmSync(attachmentPath(this.dataDir, sha), { force: true });
      dropped += batch.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The rows first (committed), then the files: a crash in between leaves files nothing refers to, never a row pointing at nothing. */
  private async apply(batch: readonly Candidate[], orphans: readonly string[], now: Date): Promise<void> {
    const at = now.toISOString();
    const dropRaw = this.sql.prepare('DELETE FROM message_raw WHERE message_id = ?');
    const mark = this.sql.prepare('UPDATE messages SET raw_purged_at = ? WHERE id = ?');
    const dropParsed = this.sql.prepare('DELETE FROM message_parsed WHERE message_id = ?');
    await this.sql.transaction(async () => {
      for (const c of batch) {
        await dropRaw.run(c.id);
        // The parse result holds the whole body too; the reply text stays in the classification.
        await dropParsed.run(c.id);
        await mark.run(at, c.id);
      }
      await this.attachments.drop(orphans);
    });
    for (const c of batch) if (c.path) rmSync(join(this.dataDir, c.path), { force: true });
    for (const sha of orphans) rmSync(attachmentPath(this.dataDir, sha), { force: true });
  }
}
