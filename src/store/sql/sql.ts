// The one seam between the repositories and a database: statements that answer
// with promises, and transactions that follow their work through its awaits.
// SQLite (better-sqlite3, answering at once on the caller's thread) and
// PostgreSQL (node-postgres, a pool of connections) both implement it, so each
// repository is written once. SQL is written with `?` placeholders in the
// subset both dialects share; where they differ, a repository asks `dialect`.

import type { WorkKind, WorkSignal } from './work-signal.ts';

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

/**
 * The few expressions the two dialects spell differently, as SQL text to put
 * in a statement. Every `?` they contain is a parameter in its place.
 */
export interface SqlFunctions {
  /** A subquery of the values of the JSON array given as a parameter: `x IN (${jsonValues('integer')})`. */
  jsonValues(kind: 'text' | 'integer'): string;
  /**
   * Every pair of the values of two JSON arrays given as parameters, as a subquery of columns `k1` and `k2`, to
   * join first (see joinInOrder): `FROM (${jsonPairs('integer', 'text')}) p ${joinInOrder} t ON t.a = p.k1 AND
   * t.b = p.k2`. Two `IN` lists over one composite index's columns let SQLite's planner, once it has statistics,
   * search by the first column alone and filter the rest (a scan of a large tenant's rows a lookup).
   */
  jsonPairs(first: 'text' | 'integer', second: 'text' | 'integer'): string;
  /** A join whose left side is looked at first (SQLite's CROSS JOIN keeps that order; PostgreSQL plans its joins well). */
  joinInOrder: string;
  /** Whether the JSON array in `array` (a column, or `?`) has `value` (a column, or `?`). */
  jsonArrayHas(array: string, value: string): string;
  /** A top-level field of the JSON object in a TEXT column, as text. */
  jsonField(column: string, field: string): string;
  /** The larger of two values (SQLite's two-argument max). */
  greatest(a: string, b: string): string;
  /** Case-insensitive LIKE (SQLite's LIKE already is, for ASCII). */
  like: string;
  /** Equality that holds for two NULLs too. */
  same(a: string, b: string): string;
  /** Seconds between two ISO 8601 timestamps held as text. */
  secondsBetween(from: string, to: string): string;
  /**
   * After a SELECT of rows to claim: rows another transaction is claiming are
   * passed over, not waited for (PostgreSQL: several nodes claim at once).
   * SQLite needs nothing: its one writer excludes everyone else.
   */
  skipLocked(alias?: string): string;
  /** After a SELECT of a row the transaction will change: others wait until it commits (SQLite's one writer already does). */
  lockRows: string;
}

export const SQLITE_FUNCTIONS: SqlFunctions = {
  jsonValues: () => 'SELECT value FROM json_each(?)',
  jsonPairs: () => 'SELECT a.value AS k1, b.value AS k2 FROM json_each(?) a, json_each(?) b',
  joinInOrder: 'CROSS JOIN',
  jsonArrayHas: (array, value) => `EXISTS (SELECT 1 FROM json_each(${array}) WHERE value = ${value})`,
  jsonField: (column, field) => `json_extract(${column}, '$.${field}')`,
  greatest: (a, b) => `max(${a}, ${b})`,
  like: 'LIKE',
  same: (a, b) => `${a} IS ${b}`,
  secondsBetween: (from, to) => `(julianday(${to}) - julianday(${from})) * 86400.0`,
  skipLocked: () => '',
  lockRows: '',
};

export const POSTGRES_FUNCTIONS: SqlFunctions = {
  jsonValues: (kind) => (kind === 'integer' ? 'SELECT jsonb_array_elements_text(?::jsonb)::bigint' : 'SELECT jsonb_array_elements_text(?::jsonb)'),
  jsonPairs: (first, second) =>
    `SELECT a.value${first === 'integer' ? '::bigint' : ''} AS k1, b.value${second === 'integer' ? '::bigint' : ''} AS k2 FROM jsonb_array_elements_text(?::jsonb) a, jsonb_array_elements_text(?::jsonb) b`,
  joinInOrder: 'JOIN',
  jsonArrayHas: (array, value) => `jsonb_exists((${array})::jsonb, ${value})`,
  jsonField: (column, field) => `((${column})::jsonb ->> '${field}')`,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  like: 'ILIKE',
  same: (a, b) => `${a} IS NOT DISTINCT FROM ${b}`,
  secondsBetween: (from, to) => `EXTRACT(EPOCH FROM ((${to})::timestamptz - (${from})::timestamptz))::float8`,
  skipLocked: (alias) => `FOR UPDATE${alias ? ` OF ${alias}` : ''} SKIP LOCKED`,
  lockRows: 'FOR UPDATE',
};

export interface TransactionOptions {
  /** False: transactions inside this one are no savepoints (see Sql.transaction). Default true. */
  savepoints?: boolean;
}

export interface Sql {
  readonly dialect: Dialect;
  /** Expressions spelled per dialect. */
  readonly fn: SqlFunctions;
  prepare<P extends unknown[] = unknown[], R = unknown>(text: string): SqlStatement<P, R>;
  /**
   * Runs `work` as one transaction. Every statement of this Sql that `work`
   * runs (followed through its awaits) is part of it; statements from anyone
   * else either wait (SQLite: one connection) or run on another connection
   * (PostgreSQL), so nobody sees it half done. A transaction inside one becomes
   * a savepoint: its failure undoes only its own writes.
   *
   * With `savepoints: false` (an outermost transaction only), the
   * transactions inside it are part of it instead, which spares two
   * statements each (two round trips on PostgreSQL): then a failure anywhere
   * undoes all of it. For a batch that its caller does again, a savepoint per
   * item, when it fails.
   */
  transaction<T>(work: () => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** True while the caller runs inside a transaction of this Sql. */
  inTransaction(): boolean;
  /** This connection's listeners for work written through it (see work-signal.ts). */
  readonly work: WorkSignal;
  /** Tells `work`'s listeners of `kind` once the caller's transaction commits (at once outside one; never when it rolls back). */
  announce(kind: WorkKind): void;
  close(): Promise<void>;
}

/** `IN (?, ?, ...)` for a list of `n` values; an empty list matches nothing. */
export function placeholders(n: number): string {
  return n === 0 ? 'NULL' : Array.from({ length: n }, () => '?').join(', ');
}

/** One numbered schema change of a backend (sqlite/migrations.ts, postgres/migrations.ts). */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
