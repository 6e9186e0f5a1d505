// What /metrics reads from the database at each scrape: row counts by status or
// state, webhook deliveries waiting for a retry, and the pipeline latency of the
// last 1000 processed messages. Prepared once; each call is one indexed query.
import type { Sql } from './sql/sql.ts';

export type CountedTable = 'messages' | 'jobs' | 'outbound_messages' | 'webhook_deliveries';

const COUNTS: Record<CountedTable, string> = {
  messages: 'SELECT status AS k, COUNT(*) AS n FROM messages GROUP BY status',
  jobs: 'SELECT state AS k, COUNT(*) AS n FROM jobs GROUP BY state',
  outbound_messages: 'SELECT status AS k, COUNT(*) AS n FROM outbound_messages GROUP BY status',
  webhook_deliveries: 'SELECT state AS k, COUNT(*) AS n FROM webhook_deliveries GROUP BY state',
};

export class GaugeQueries {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** Rows of `table` by their status (or state) column. */
  async countsBy(table: CountedTable): Promise<{ k: string; n: number }[]> {
    return (await this.sql.prepare(COUNTS[table]).all()) as { k: string; n: number }[];
  }

  async webhookRetrying(): Promise<number> {
    return ((await this.sql.prepare(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'pending' AND attempts > 0`).get()) as { n: number }).n;
  }

  /** Seconds from acceptance to the end of the pipeline, last 1000 processed messages, ascending. */
  async recentPipelineLatencies(): Promise<number[]> {
    const rows = (await this.sql
      .prepare(
        `SELECT ${this.sql.fn.secondsBetween('received_at', 'processed_at')} AS s FROM messages WHERE processed_at IS NOT NULL ORDER BY id DESC LIMIT 1000`,
      )
      .all()) as { s: number }[];
    return rows.map((r) => r.s).sort((a, b) => a - b);
  }

  /** PostgreSQL: the shared database's size in bytes. SQLite: null (its size is its file's: databaseFileBytes). */
  async sharedDatabaseBytes(): Promise<number | null> {
    if (this.sql.dialect !== 'postgres') return null;
    return (await this.sql.prepare('SELECT pg_database_size(current_database())').pluck<number>().get()) ?? null;
  }

  /** The database answers (readiness). */
  async reachable(): Promise<boolean> {
    try {
      await this.sql.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }
}
