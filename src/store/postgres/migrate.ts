// Applying PostgreSQL's migrations: in one transaction that first takes an
// advisory lock, so several nodes starting at once migrate once (the others
// wait, then find nothing left to do). schema_migrations records what ran.
import type { Migration } from '../sql/sql.ts';
import { onOwnConnection, type PostgresSql } from './driver.ts';
import { postgresMigrations } from './migrations.ts';

/** The advisory lock key migrations hold: any fixed number of ours. */
const MIGRATION_LOCK = 0x6d61696c; // "mail"

export interface MigrationStatus {
  applied: { version: number; name: string; appliedAt: string }[];
  pending: { version: number; name: string }[];
}

export async function migratePostgres(sql: PostgresSql, list: readonly Migration[] = postgresMigrations): Promise<number[]> {
  return onOwnConnection(sql.pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const migration of list) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}

/** Which migrations this database has, and which this version of mailroom would apply. */
export async function postgresMigrationStatus(sql: PostgresSql, list: readonly Migration[] = postgresMigrations): Promise<MigrationStatus> {
  const exists = await sql.prepare("SELECT to_regclass('schema_migrations')::text").pluck<string | null>().get();
  const rows = exists
    ? await sql
        .prepare<[], { version: number; name: string; applied_at: Date }>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
        .all()
    : [];
  const done = new Set(rows.map((r) => r.version));
  return {
    applied: rows.map((r) => ({ version: r.version, name: r.name, appliedAt: r.applied_at.toISOString() })),
    pending: list.filter((m) => !done.has(m.version)).map((m) => ({ version: m.version, name: m.name })),
  };
}
