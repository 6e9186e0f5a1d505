// Running a test on both storage backends: SQLite in a temporary data dir, and
// a fresh database of the run's private PostgreSQL (test/setup/postgres.ts).
import { createContext, type Context, type ContextOverrides } from '../../src/context.ts';
import { createLogger } from '../../src/log.ts';
import { freshPostgresDatabase } from './postgres.ts';
import { tempDir, testConfig, type BackendName, type SectionOverrides } from './server.ts';

export { freshPostgresDatabase };

export { BACKENDS, type BackendName } from './server.ts';

/** Configuration for a test on `backend`: a temporary data dir, and on PostgreSQL a database of its own. */
export async function backendConfig(backend: BackendName, overrides: SectionOverrides = {}): Promise<ReturnType<typeof testConfig>> {
  const url = backend === 'postgres' ? await freshPostgresDatabase() : '';
  return testConfig(tempDir(), { ...overrides, database: { ...overrides.database, url } });
}

/** A context (every repository) on `backend`, silent unless told otherwise. */
export async function contextOn(backend: BackendName, overrides: SectionOverrides = {}, context: ContextOverrides = {}): Promise<Context> {
  return createContext(await backendConfig(backend, overrides), { log: createLogger('silent'), ...context });
}
