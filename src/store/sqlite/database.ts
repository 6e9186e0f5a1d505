// Opens the SQLite database under the data directory with the settings the
// durability contract needs: WAL, synchronous=FULL (every commit fsyncs the WAL),
// foreign keys on, and a busy timeout so CLI readers and the server can share it.
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { migrate } from './migrations.ts';

export type { Database };

export const DATABASE_FILE = 'mailroom.db';

export function databasePath(dataDir: string): string {
  return join(resolve(dataDir), DATABASE_FILE);
}

export interface OpenOptions {
  /** Largest size in MB (0: no limit); writes past it fail with SQLITE_FULL. */
  maxSizeMb?: number;
  /** A read-only connection to an existing, migrated database (WAL readers never block the writer). */
  readonly?: boolean;
  /**
   * NORMAL: commits survive a crash of the process but not a power cut (WAL
   * without an fsync per commit). Only for writers whose commits may be lost
   * at no more cost than doing the work again (the relay: a lost "sent" mark
   * means one resend with the same Message-ID). Intake always uses FULL.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

/** Bytes on disk of the database file and its WAL. */
export function databaseFileBytes(dataDir: string): number {
  const path = databasePath(dataDir);
  return [path, `${path}-wal`].reduce((sum, file) => sum + (statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0);
}

export function openDatabase(dataDir: string, options: OpenOptions = {}): Database {
  if (options.readonly) {
    const reader = new BetterSqlite3(databasePath(dataDir), { readonly: true, fileMustExist: true });
    reader.pragma('busy_timeout = 5000');
    return reader;
  }
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o750 });
  const db = new BetterSqlite3(databasePath(dataDir));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  if (options.maxSizeMb) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor((options.maxSizeMb * 1024 * 1024) / pageSize))}`);
  }
  return db;
}
