// Opens the SQLite database under the data directory with the settings the
// durability contract needs: WAL, synchronous=FULL (every commit fsyncs the WAL),
// foreign keys on, and a busy timeout so CLI readers and the server can share it.
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataDirError } from '../../errors.ts';
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
  const db = unusableDataDirAsError(dataDir, () => {
    mkdirSync(resolve(dataDir), { recursive: true, mode: 0o750 });
    const opened = new BetterSqlite3(databasePath(dataDir));
    try {
      opened.pragma('journal_mode = WAL');
      opened.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      opened.pragma('foreign_keys = ON');
      opened.pragma('busy_timeout = 5000');
      migrate(opened);
    } catch (err) {
      opened.close();
      throw err;
    }
    return opened;
  });
  if (options.maxSizeMb) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor((options.maxSizeMb * 1024 * 1024) / pageSize))}`);
  }
  return db;
}

/** What the filesystem or SQLite says when the directory or its files cannot be made or written. */
const PERMISSION = { reason: 'permission denied', fix: 'make it writable by the user mailroom runs as' };
const READ_ONLY = { reason: 'the filesystem is read-only', fix: 'mount it read-write' };
const IN_THE_WAY = { reason: 'a file is in the way of the path', fix: 'move that file away' };
const UNUSABLE: Record<string, { reason: string; fix: string }> = {
  EACCES: PERMISSION,
  EPERM: PERMISSION,
  EROFS: READ_ONLY,
  ENOTDIR: IN_THE_WAY,
  EEXIST: IN_THE_WAY,
  SQLITE_CANTOPEN: {
    reason: 'the database file cannot be opened or created there',
    fix: 'make the directory and its files writable by the user mailroom runs as',
  },
  SQLITE_READONLY: { reason: 'the database file is read-only', fix: 'make it writable by the user mailroom runs as' },
  SQLITE_READONLY_DIRECTORY: { reason: 'the directory is read-only', fix: 'make it writable by the user mailroom runs as' },
  SQLITE_PERM: PERMISSION,
};

/** Runs an open of the data dir, turning "cannot create or write it" into a DataDirError that names the directory. */
export function unusableDataDirAsError<T>(dataDir: string, open: () => T): T {
  try {
    return open();
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const known = UNUSABLE[code];
    if (known) throw new DataDirError(resolve(dataDir), known.reason, known.fix, { cause: err });
    throw err;
  }
}
