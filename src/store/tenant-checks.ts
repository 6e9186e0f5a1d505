// Tenant checks that take time (the forwarding test): the node that runs one
// keeps its state here, so a poll on any node answers it. A check still
// running past its deadline was left by a node that stopped.
import type { Sql } from './sql/sql.ts';

export type TenantCheckState = 'running' | 'done' | 'failed';

export interface TenantCheck {
  id: string;
  tenantId: number;
  state: TenantCheckState;
  /** The report as JSON text once done. */
  report: string | null;
  error: string | null;
  createdAt: string;
  deadlineAt: string;
  finishedAt: string | null;
}

interface CheckRow {
  id: string;
  tenant_id: number;
  state: TenantCheckState;
  report: string | null;
  error: string | null;
  created_at: string;
  deadline_at: string;
  finished_at: string | null;
}

export class TenantCheckStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async start(id: string, tenantId: number, at: string, deadlineAt: string): Promise<void> {
    await this.sql
      .prepare("INSERT INTO tenant_checks (id, tenant_id, state, created_at, deadline_at) VALUES (?, ?, 'running', ?, ?)")
      .run(id, tenantId, at, deadlineAt);
  }

  /**
   * Starts a check unless one of the tenant is still running (and not past its
   * deadline, which would mean its node stopped): then that one's id, and
   * nothing is started. One statement, so two requests at once start one.
   */
  async startAlone(id: string, tenantId: number, at: string, deadlineAt: string): Promise<string | null> {
    const inserted = await this.sql
      .prepare(
        "INSERT INTO tenant_checks (id, tenant_id, state, created_at, deadline_at) SELECT CAST(? AS TEXT), CAST(? AS BIGINT), 'running', CAST(? AS TEXT), CAST(? AS TEXT) WHERE NOT EXISTS (SELECT 1 FROM tenant_checks WHERE tenant_id = ? AND state = 'running' AND deadline_at > ?)",
      )
      .run(id, tenantId, at, deadlineAt, tenantId, at);
    if (inserted.changes > 0) return null;
    const running = (await this.sql
      .prepare("SELECT id FROM tenant_checks WHERE tenant_id = ? AND state = 'running' AND deadline_at > ? ORDER BY created_at DESC LIMIT 1")
      .pluck()
      .get(tenantId, at)) as string | undefined;
    // Finished between the two statements: the caller may simply try again.
    return running ?? 'a check that just finished';
  }

  async finish(id: string, outcome: { report: string } | { error: string }, at: string): Promise<void> {
    if ('report' in outcome)
      await this.sql.prepare("UPDATE tenant_checks SET state = 'done', report = ?, finished_at = ? WHERE id = ?").run(outcome.report, at, id);
    else await this.sql.prepare("UPDATE tenant_checks SET state = 'failed', error = ?, finished_at = ? WHERE id = ?").run(outcome.error, at, id);
  }

  async get(id: string): Promise<TenantCheck | null> {
    const row = (await this.sql.prepare('SELECT * FROM tenant_checks WHERE id = ?').get(id)) as CheckRow | undefined;
    return row
      ? {
          id: row.id,
          tenantId: Number(row.tenant_id),
          state: row.state,
          report: row.report,
          error: row.error,
          createdAt: row.created_at,
          deadlineAt: row.deadline_at,
          finishedAt: row.finished_at,
        }
      : null;
  }
}
