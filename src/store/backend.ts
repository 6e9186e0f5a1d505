// Opening the storage a process works on: the SQLite file in the data dir (one
// machine, the default), or the PostgreSQL database `database.url` names
// (several nodes over one shared database). Either way the caller gets the same
// repositories; only SQLite also hands over its connection, for the
// single-machine write path (the store thread) and tests that look at rows.
import type { Database } from 'better-sqlite3';
import { openDatabase } from './database.ts';
import { migratePostgres } from './postgres/migrate.ts';
import { PostgresRouteTable } from './postgres/routes.ts';
import { createRepositories, repositoriesOver, type Repositories } from './repositories.ts';
import { PostgresSql } from './sql/postgres.ts';

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
    return {
      kind: 'sqlite',
      repositories,
      sqlite: db,
      close: async () => {
        db.close();
      },
    };
  }
  const sql = new PostgresSql({ url: settings.databaseUrl, max: settings.poolSize, applicationName: settings.applicationName });
  const routes = new PostgresRouteTable(sql, settings.databaseUrl);
  try {
    await migratePostgres(sql);
    await routes.start();
  } catch (err) {
    await routes.close();
    await sql.close();
    throw new Error(`cannot open ${describeDatabase(settings.databaseUrl, settings.dataDir)}: ${(err as Error).message}`, { cause: err });
  }
  const repositories = repositoriesOver(sql, routes, { dataDir: settings.dataDir, now: settings.now });
  return {
    kind: 'postgres',
    repositories,
    sqlite: null,
    close: async () => {
      await routes.close();
      await sql.close();
    },
  };
}
