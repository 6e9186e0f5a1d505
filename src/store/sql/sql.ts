// The one seam between the repositories and a database: statements that answer
// with promises, and transactions that follow their work through its awaits.
// SQLite (better-sqlite3, answering at once on the caller's thread) and
// PostgreSQL (node-postgres, a pool of connections) both implement it, so each
// repository is written once. SQL is written with `?` placeholders in the
// subset both dialects share; where they differ, a repository asks `dialect`.

export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows the statement changed. */
  changes: number;
}

/** A prepared statement: `P` its parameters, `R` the row it returns. */
export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  get(...params: P): Promise<R | undefined>;
  all(...params: P): Promise<R[]>;
  run(...params: P): Promise<RunResult>;
  /** The same statement answering with the first column of each row instead of the row. */
  pluck<V = unknown>(): SqlStatement<P, V>;
}

export interface Sql {
  readonly dialect: Dialect;
  prepare<P extends unknown[] = unknown[], R = unknown>(text: string): SqlStatement<P, R>;
  /**
   * Runs `work` as one transaction. Every statement of this Sql that `work`
   * runs (followed through its awaits) is part of it; statements from anyone
   * else either wait (SQLite: one connection) or run on another connection
   * (PostgreSQL), so nobody sees it half done. A transaction inside one becomes
   * a savepoint: its failure undoes only its own writes.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** True while the caller runs inside a transaction of this Sql. */
  inTransaction(): boolean;
  close(): Promise<void>;
}

/** `IN (?, ?, ...)` for a list of `n` values; an empty list matches nothing. */
export function placeholders(n: number): string {
  return n === 0 ? 'NULL' : Array.from({ length: n }, () => '?').join(', ');
}
