// Opening the storage a process works on: the SQLite file in the data dir (one
// machine, the default), or the PostgreSQL database `database.url` names
// (several nodes over one shared database). Either way the caller gets the same
// repositories; only SQLite also hands over its connection, for the
// single-machine write path (the store thread) and tests that look at rows.
import type { Database } from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { databasePath, openDatabase, unusableDataDirAsError } from './sqlite/database.ts';
import { migrations } from './sqlite/migrations.ts';
import { CHANNELS, PostgresListener } from './postgres/listener.ts';
import type { WorkKind } from './sql/work-signal.ts';
import { migratePostgres, postgresMigrationStatus } from './postgres/migrate.ts';
import { PostgresRouteTable } from './postgres/routes.ts';
import { createRepositories, repositoriesOver, type Repositories } from './repositories.ts';
import { PostgresSql } from './postgres/driver.ts';

export interface BackendSettings {
  dataDir: string;
  /** SQLite's largest size in MB (0: no limit). */
  maxSizeMb: number;
  /** postgres://...; empty: SQLite. */
  databaseUrl: string;
  poolSize: number;
  now: () => Date;
  /** Name of this process in pg_stat_activity. */
  applicationName?: string;
}

export interface Backend {
  kind: 'sqlite' | 'postgres';
  repositories: Repositories;
  /** SQLite's connection; null on PostgreSQL. */
  sqlite: Database | null;
  /** PostgreSQL's notifications to this process (null on SQLite, where one process does everything). */
  listener: PostgresListener | null;
  close(): Promise<void>;
}

/** Says where the database is without the password, for logs and errors. */
export function describeDatabase(url: string, dataDir: string): string {
  if (!url) return `SQLite in ${dataDir}`;
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL (database.url does not parse as a URL)';
  }
}

export async function openBackend(settings: BackendSettings): Promise<Backend> {
  if (!settings.databaseUrl) {
    const db = openDatabase(settings.dataDir, { maxSizeMb: settings.maxSizeMb });
    const repositories = createRepositories(db, { dataDir: settings.dataDir, now: settings.now });
    const close = async (): Promise<void> => {
      db.close();
    };
    return { kind: 'sqlite', repositories, sqlite: db, listener: null, close };
  }
  // The node's own files stay in its data dir: the pid lock, TLS material, spool files until committed.
  unusableDataDirAsError(settings.dataDir, () => mkdirSync(resolve(settings.dataDir), { recursive: true, mode: 0o750 }));
  const sql = new PostgresSql({ url: settings.databaseUrl, max: settings.poolSize, applicationName: settings.applicationName });
  const listener = new PostgresListener(settings.databaseUrl);
  const routes = new PostgresRouteTable(sql, listener);
  try {
    await migratePostgres(sql);
    await routes.start();
    await listener.start();
  } catch (err) {
    await listener.close();
    await routes.close();
    await sql.close();
    throw new Error(`cannot open ${describeDatabase(settings.databaseUrl, settings.dataDir)}: ${(err as Error).message}`, { cause: err });
  }
  const repositories = repositoriesOver(sql, routes, { dataDir: settings.dataDir, now: settings.now });
  return {
    kind: 'postgres',
    repositories,
    sqlite: null,
    listener,
    close: async () => {
      await listener.close();
      await routes.close();
      await sql.close();
    },
  };
}

/** Tells every node that work was committed (PostgreSQL; inside a transaction, it is sent when that commits). */
export async function announceWork(repositories: Repositories, kind: WorkKind): Promise<void> {
  if (repositories.sql.dialect !== 'postgres') return;
  await repositories.sql.prepare('SELECT pg_notify(?, ?)').run(CHANNELS.work, kind);
}

export interface DatabaseStatus {
  backend: 'sqlite' | 'postgres';
  /** Where, without a password. */
  database: string;
  applied: { version: number; name: string }[];
  pending: { version: number; name: string }[];
}

/** The schema migrations applied to the database a node is configured with, and those still to apply. */
export async function databaseStatus(url: string, dataDir: string): Promise<DatabaseStatus> {
  const database = describeDatabase(url, dataDir);
  if (url) {
    const sql = new PostgresSql({ url, max: 1, applicationName: 'mailroom db status' });
    try {
      return { backend: 'postgres', database, ...(await postgresMigrationStatus(sql)) };
    } finally {
      await sql.close();
    }
  }
  const current = existsSync(databasePath(dataDir)) ? sqliteSchemaVersion(dataDir) : 0;
  const pick = (applied: boolean): { version: number; name: string }[] =>
    migrations.filter((m) => m.version <= current === applied).map(({ version, name }) => ({ version, name }));
  return { backend: 'sqlite', database, applied: pick(true), pending: pick(false) };
}

/** Applies the migrations the database still needs; returns their numbers. */
export async function migrateDatabase(url: string, dataDir: string): Promise<number[]> {
  if (url) {
    const sql = new PostgresSql({ url, max: 1, applicationName: 'mailroom db migrate' });
    try {
      return await migratePostgres(sql);
    } finally {
      await sql.close();
    }
  }
  const before = existsSync(databasePath(dataDir)) ? sqliteSchemaVersion(dataDir) : 0;
  openDatabase(dataDir).close(); // opening migrates
  return migrations.filter((m) => m.version > before).map((m) => m.version);
}

function sqliteSchemaVersion(dataDir: string): number {
  const db = openDatabase(dataDir, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}
