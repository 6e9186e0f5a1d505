// The raw bytes of stored messages: inline blobs for small messages, spool
// files for large ones (so a session never holds a big message in memory).
// Spool files live in <data dir>/spool; one without a committed row is an
// orphan of a refused message or a crash, and is removed at start.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Envelope } from './messages.ts';
import type { Sql } from './sql/sql.ts';

export const SPOOL_DIR = 'spool';

export function spoolDir(dataDir: string): string {
  return join(resolve(dataDir), SPOOL_DIR);
}

/** Where the spool file of a message goes: absolute, and as stored (relative to the data dir). */
export function spoolFileFor(dataDir: string, id: string): { absolute: string; relative: string } {
  const relative = `${SPOOL_DIR}/${id}.eml`;
  return { absolute: join(resolve(dataDir), relative), relative };
}

export function ensureSpoolDir(dataDir: string): void {
  mkdirSync(spoolDir(dataDir), { recursive: true, mode: 0o750 });
}

/** Makes the spool directory's new entries durable (the files' data was fsynced by their writers). */
export function syncSpoolDir(dataDir: string): void {
  const fd = openSync(spoolDir(dataDir), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Files and bytes in the spool directory. */
export function spoolUsage(dataDir: string): { files: number; bytes: number } {
  let names: string[] = [];
  try {
    names = readdirSync(spoolDir(dataDir));
  } catch {
    // no spool directory yet
  }
  let bytes = 0;
  for (const name of names) bytes += statSync(join(spoolDir(dataDir), name), { throwIfNoEntry: false })?.size ?? 0;
  return { files: names.length, bytes };
}

export class RawReader {
  private readonly sql: Sql;
  private readonly dataDir: string;

  constructor(sql: Sql, dataDir: string) {
    this.sql = sql;
    this.dataDir = resolve(dataDir);
  }

  async read(id: string): Promise<Buffer | null> {
    const row = (await this.sql.prepare('SELECT raw, path FROM message_raw WHERE message_id = ?').get(id.toUpperCase())) as
      { raw: Buffer | null; path: string | null } | undefined;
    if (!row) return null;
    if (row.raw) return row.raw;
    return row.path ? readFileSync(join(this.dataDir, row.path)) : null;
  }

  /**
   * Where the bytes are, for a reader that streams them: in the database (small
   * messages) or a spool file (large ones, read piece by piece so a 30 MB
   * download never sits whole in the memory of the thread that also runs SMTP).
   */
  async locate(id: string): Promise<{ bytes: Buffer } | { file: string; size: number } | null> {
    const row = (await this.sql.prepare('SELECT raw, path FROM message_raw WHERE message_id = ?').get(id.toUpperCase())) as
      { raw: Buffer | null; path: string | null } | undefined;
    if (!row) return null;
    if (row.raw) return { bytes: row.raw };
    if (!row.path) return null;
    const file = join(this.dataDir, row.path);
    const stat = statSync(file, { throwIfNoEntry: false });
    return stat ? { file, size: stat.size } : null;
  }

  /** The bytes with the envelope they arrived with: what the pipeline starts from. */
  async readWithEnvelope(id: string): Promise<{ raw: Buffer; envelope: Envelope } | null> {
    const row = (await this.sql.prepare('SELECT envelope FROM messages WHERE id = ?').get(id.toUpperCase())) as { envelope: string } | undefined;
    const raw = row ? await this.read(id) : null;
    return row && raw ? { raw, envelope: JSON.parse(row.envelope) as Envelope } : null;
  }

  /**
   * The stored messages of `ids` in one statement (a claimed batch: one round
   * trip instead of one a message), each as a function that gives its bytes
   * and envelope. Bytes kept in the database (under the spool threshold) come
   * with the statement; a spool file is read only when its function is called,
   * so a batch of large messages is not held in memory at once.
   */
  async readBatch(ids: readonly string[]): Promise<Map<string, () => { raw: Buffer; envelope: Envelope } | null>> {
    const rows = (await this.sql
      .prepare(
        `SELECT m.id, m.envelope, r.raw, r.path FROM messages m JOIN message_raw r ON r.message_id = m.id WHERE m.id IN (${this.sql.fn.jsonValues('text')})`,
      )
      .all(JSON.stringify(ids.map((id) => id.toUpperCase())))) as { id: string; envelope: string; raw: Buffer | null; path: string | null }[];
    const found = new Map<string, () => { raw: Buffer; envelope: Envelope } | null>();
    for (const row of rows) {
      const envelope = JSON.parse(row.envelope) as Envelope;
      const { raw, path } = row;
      found.set(row.id, () => {
        if (raw) return { raw, envelope };
        return path ? { raw: readFileSync(join(this.dataDir, path)), envelope } : null;
      });
    }
    return found;
  }

  /** Deletes spool files no committed message refers to; returns how many. */
  async removeOrphans(): Promise<number> {
    let names: string[];
    try {
      names = readdirSync(spoolDir(this.dataDir));
    } catch {
      return 0;
    }
    const referenced = this.sql.prepare('SELECT 1 FROM message_raw WHERE path = ?');
    let removed = 0;
    for (const name of names) {
      const relative = `${SPOOL_DIR}/${name}`;
      if (await referenced.get(relative)) continue;
      rmSync(join(this.dataDir, relative), { force: true });
      removed++;
    }
    return removed;
  }
}
