// The Sql seam over a PostgreSQL pool (node-postgres). A transaction takes a
// connection of its own for its whole life; AsyncLocalStorage follows its work
// through the awaits, so the repositories' statements inside it run on that
// connection without being handed it. Everything else runs on any free
// connection of the pool.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { POSTGRES_FUNCTIONS, type RunResult, type Sql, type SqlStatement, type TransactionOptions } from '../sql/sql.ts';
import { WorkSignal, type WorkKind } from '../sql/work-signal.ts';

interface Open {
  client: pg.PoolClient;
  depth: number;
  /** Work kinds announced inside it: told once it commits. */
  announced: Set<WorkKind>;
  /** Set when the transaction ended: work it started that runs on (a timer) goes back to the pool. */
  ended: boolean;
  /** Transactions inside it are part of it, not savepoints. */
  flat: boolean;
}

// 64-bit integers (ids, COUNT(*), millisecond times) and numerics as numbers:
// every value the schema keeps in them is far below 2^53.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value);
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;

/** `?` placeholders (outside quotes) as `$1, $2, ...`. */
export function numberedPlaceholders(text: string): string {
  let n = 0;
  let out = '';
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/** Runs `work` in a transaction on a connection of its own (BEGIN, COMMIT, or ROLLBACK when it throws), then gives the connection back. */
export async function onOwnConnection<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError as Error));
      throw err;
    }
  } finally {
    // A connection whose rollback failed is in an unknown state: the pool closes it.
    client.release(broken);
  }
}

export interface PostgresOptions {
  url: string;
  /** Connections this process may hold (its threads each have a pool of their own). */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

export class PostgresSql implements Sql {
  readonly dialect = 'postgres' as const;
  readonly fn = POSTGRES_FUNCTIONS;
  readonly pool: pg.Pool;
  readonly work = new WorkSignal();
  private readonly current = new AsyncLocalStorage<Open>();
  private readonly texts = new Map<string, string>();

  constructor(options: PostgresOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 8,
      application_name: options.applicationName ?? 'mailroom',
      types,
      // A database that does not answer is an error to report (SMTP 451), not a wait without end.
      connectionTimeoutMillis: 5000,
    });
    // An idle connection the server closed (a restart, a failover) is dropped from the pool; the next query opens a new one.
    this.pool.on('error', () => undefined);
  }

  /** The statement text PostgreSQL is sent, converted once per distinct text. */
  textOf(text: string): string {
    let converted = this.texts.get(text);
    if (converted === undefined) this.texts.set(text, (converted = numberedPlaceholders(text)));
    return converted;
  }

  /** Where a statement runs now: the caller's open transaction, or the pool. */
  runner(): pg.Pool | pg.PoolClient {
    const open = this.current.getStore();
    return open && !open.ended ? open.client : this.pool;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(text: string): SqlStatement<P, R> {
    return new PostgresStatement<P, R>(this, text, false);
  }

  inTransaction(): boolean {
    const open = this.current.getStore();
    return open !== undefined && !open.ended;
  }

  announce(kind: WorkKind): void {
    const open = this.current.getStore();
    if (open && !open.ended) open.announced.add(kind);
    else this.work.emit(kind);
  }

  async transaction<T>(work: () => Promise<T>, options?: TransactionOptions): Promise<T> {
    const open = this.current.getStore();
    if (open && !open.ended) return open.flat ? await work() : this.savepoint(open, work);
    const mine: Open = { client: null as unknown as pg.PoolClient, depth: 0, ended: false, announced: new Set(), flat: options?.savepoints === false };
    const result = await onOwnConnection(this.pool, async (client) => {
      mine.client = client;
      try {
        return await this.current.run(mine, work);
      } finally {
        mine.ended = true;
      }
    });
    // Committed (onOwnConnection threw otherwise).
    for (const kind of mine.announced) this.work.emit(kind);
    return result;
  }

  private async savepoint<T>(open: Open, work: () => Promise<T>): Promise<T> {
    const name = `sp${++open.depth}`;
    await open.client.query(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      await open.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await open.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    } finally {
      open.depth--;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PostgresStatement<P extends unknown[], R> implements SqlStatement<P, R> {
  private readonly sql: PostgresSql;
  private readonly text: string;
  private readonly plucked: boolean;

  constructor(sql: PostgresSql, text: string, plucked: boolean) {
    this.sql = sql;
    this.text = text;
    this.plucked = plucked;
  }

  private query(params: unknown[]): Promise<pg.QueryResult | pg.QueryArrayResult> {
    const text = this.sql.textOf(this.text);
    const values = params.map(toParameter);
    if (this.plucked) return this.sql.runner().query({ text, values, rowMode: 'array' });
    return this.sql.runner().query({ text, values });
  }

  async get(...params: P): Promise<R | undefined> {
    const result = await this.query(params);
    return this.shape(result.rows[0]);
  }

  async all(...params: P): Promise<R[]> {
    const result = await this.query(params);
    return result.rows.map((row) => this.shape(row) as R);
  }

  async run(...params: P): Promise<RunResult> {
    const result = await this.query(params);
    return { changes: result.rowCount ?? 0 };
  }

  private shape(row: unknown): R | undefined {
    if (row === undefined) return undefined;
    return (this.plucked ? (row as unknown[])[0] : row) as R;
  }

  pluck<V = unknown>(): SqlStatement<P, V> {
    return new PostgresStatement<P, V>(this.sql, this.text, true);
  }
}

/** SQLite takes booleans as 0/1 and the schema keeps them so on both backends. */
function toParameter(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return value.toString();
  return value;
}
