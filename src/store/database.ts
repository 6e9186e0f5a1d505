// Opens the SQLite database under the data directory with the settings the
// durability contract needs: WAL, synchronous=FULL (every commit fsyncs the WAL),
// foreign keys on, and a busy timeout so CLI readers and the server can share it.
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { migrate } from './migrations.ts';

export type { Database };

export const DATABASE_FILE = 'mailroom.db';

export function databasePath(dataDir: string): string {
  return join(resolve(dataDir), DATABASE_FILE);
}

export function openDatabase(dataDir: string): Database {
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o750 });
  const db = new BetterSqlite3(databasePath(dataDir));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
