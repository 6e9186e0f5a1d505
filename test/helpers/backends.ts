// Running a test on both storage backends: SQLite in a temporary data dir, and
// a fresh database of the run's private PostgreSQL (test/setup/postgres.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createContext, type Context, type ContextOverrides } from '../../src/runtime/context.ts';
import { createLogger } from '../../src/log.ts';
import { tempDir, testConfig, type SectionOverrides } from './server.ts';

export const BACKENDS = ['sqlite', 'postgres'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A new, empty database in the test run's PostgreSQL; its URL. */
export async function freshPostgresDatabase(): Promise<string> {
  const postgres = inject('postgres');
  if ('unavailable' in postgres) throw new Error(`PostgreSQL tests need a PostgreSQL server: ${postgres.unavailable}`);
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  return postgres.url.replace(/\/postgres$/, `/${name}`);
}

/** Configuration for a test on `backend`: a temporary data dir, and on PostgreSQL a database of its own. */
export async function backendConfig(backend: BackendName, overrides: SectionOverrides = {}): Promise<ReturnType<typeof testConfig>> {
  const url = backend === 'postgres' ? await freshPostgresDatabase() : '';
  return testConfig(tempDir(), { ...overrides, database: { ...overrides.database, url } });
}

/** A context (every repository) on `backend`, silent unless told otherwise. */
export async function contextOn(backend: BackendName, overrides: SectionOverrides = {}, context: ContextOverrides = {}): Promise<Context> {
  return createContext(await backendConfig(backend, overrides), { log: createLogger('silent'), ...context });
}
