// Global setup: one private PostgreSQL cluster for the whole test run (initdb in
// a temporary directory, on loopback); each test file makes databases of its
// own in it (test/helpers/backends.ts). Where PostgreSQL cannot run, the reason
// is handed on and every PostgreSQL test fails with it: CI installs the package.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { postgresUnavailable, startPostgres } from '../support/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { url: string } | { unavailable: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const unavailable = postgresUnavailable();
  if (unavailable) {
    project.provide('postgres', { unavailable });
    return async () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-postgres-'));
  const cluster = await startPostgres(dir);
  project.provide('postgres', { url: cluster.url('postgres') });
  return async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
