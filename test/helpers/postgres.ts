// Databases in the test run's private PostgreSQL (test/setup/postgres.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

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

/** What a server or context on PostgreSQL is configured with: a fresh database, and the secret key every node shares. */
export async function postgresSettings(): Promise<{ database: { url: string }; secret: { key: string } }> {
  return { database: { url: await freshPostgresDatabase() }, secret: { key: randomBytes(32).toString('base64') } };
}
