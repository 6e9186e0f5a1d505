// A worker thread's own storage: its own SQLite connection, or its own
// PostgreSQL pool (the schema is the main thread's business). Only the driver
// of the backend in use is loaded, when the thread opens it: a thread on SQLite
// never loads node-postgres and one on PostgreSQL never better-sqlite3, which
// spares a thread started on demand (the relay's, for an API send) that much
// of its start.
import { createRepositories, repositoriesOver, type Repositories, type RouteTable } from './repositories.ts';

/** Threads answer no RCPT: their repositories have no route table. */
const NO_ROUTES: RouteTable = {
  routeFor: () => null,
  servesDomain: () => false,
  refresh: async () => undefined,
  close: async () => undefined,
};

export interface ThreadStorageSettings {
  dataDir: string;
  databaseUrl: string;
  poolSize: number;
  /** SQLite: a read-only connection (the pipeline's lookups). */
  readonly?: boolean;
  /** SQLite: see OpenOptions.synchronous. */
  synchronous?: 'FULL' | 'NORMAL';
  applicationName: string;
}

export interface ThreadStorage {
  repositories: Repositories;
  close(): Promise<void>;
}

export async function openThreadStorage(settings: ThreadStorageSettings): Promise<ThreadStorage> {
  const now = (): Date => new Date();
  if (!settings.databaseUrl) {
    const { openDatabase } = await import('./sqlite/database.ts');
    const db = openDatabase(settings.dataDir, { readonly: settings.readonly, synchronous: settings.synchronous });
    return { repositories: createRepositories(db, { dataDir: settings.dataDir, now }), close: async () => void db.close() };
  }
  const { PostgresSql } = await import('./postgres/driver.ts');
  const sql = new PostgresSql({ url: settings.databaseUrl, max: settings.poolSize, applicationName: settings.applicationName });
  return { repositories: repositoriesOver(sql, NO_ROUTES, { dataDir: settings.dataDir, now }), close: () => sql.close() };
}
