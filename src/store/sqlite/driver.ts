// The Sql seam over one better-sqlite3 connection. Statements run at once on the
// caller's thread; the promise is settled before it is returned. One connection
// has one transaction at a time: a transaction owns the connection until it
// commits or rolls back (followed through its awaits with AsyncLocalStorage),
// and anyone else's statements wait for it, so they neither see its rows nor
// get rolled back with it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database, Statement } from 'better-sqlite3';
import { SQLITE_FUNCTIONS, type RunResult, type Sql, type SqlStatement, type TransactionOptions } from '../sql/sql.ts';
import { WorkSignal, type WorkKind } from '../sql/work-signal.ts';

interface Open {
  token: object;
  done: Promise<void>;
  depth: number;
  /** Work kinds announced inside it: told once it commits. */
  announced: Set<WorkKind>;
  /** Transactions inside it are part of it, not savepoints. */
  flat: boolean;
}

export class SqliteSql implements Sql {
  readonly dialect = 'sqlite' as const;
  readonly fn = SQLITE_FUNCTIONS;
  readonly db: Database;
  readonly work = new WorkSignal();
  private readonly owner = new AsyncLocalStorage<object>();
  private open: Open | null = null;
  private readonly statements = new Map<string, Statement>();

  private static readonly byConnection = new WeakMap<Database, SqliteSql>();

  private constructor(db: Database) {
    this.db = db;
  }

  /** The Sql of a connection: one per connection, however many repository sets are built over it. */
  static of(db: Database): SqliteSql {
    let sql = SqliteSql.byConnection.get(db);
    if (!sql) SqliteSql.byConnection.set(db, (sql = new SqliteSql(db)));
    return sql;
  }

  /** Kept per SQL text: the relay and the API run the same queries for every message, and preparing them each time cost a tenth of the relay's CPU. */
  statement(text: string, plucked: boolean): Statement {
    const key = plucked ? `pluck:${text}` : text;
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(text);
      if (plucked) statement.pluck();
      this.statements.set(key, statement);
    }
    return statement;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(text: string): SqlStatement<P, R> {
    return new SqliteStatement<P, R>(this, text, false);
  }

  /** What a statement from outside the open transaction waits for; null when it may run now. */
  blockedBy(): Promise<void> | null {
    const open = this.open;
    if (!open || this.owner.getStore() === open.token) return null;
    return open.done;
  }

  inTransaction(): boolean {
    return this.open !== null && this.owner.getStore() === this.open.token;
  }

  announce(kind: WorkKind): void {
    if (this.inTransaction()) (this.open as Open).announced.add(kind);
    else this.work.emit(kind);
  }

  async transaction<T>(work: () => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.inTransaction()) return (this.open as Open).flat ? await work() : this.savepoint(this.open as Open, work);
    for (let wait = this.blockedBy(); wait; wait = this.blockedBy()) await wait;
    const token = {};
    let finish = (): void => {};
    const open: Open = { token, done: new Promise<void>((resolve) => (finish = resolve)), depth: 0, announced: new Set(), flat: options?.savepoints === false };
    this.open = open;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.owner.run(token, work);
        this.db.exec('COMMIT');
        for (const kind of open.announced) this.work.emit(kind);
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.open = null;
      finish();
    }
  }

  private async savepoint<T>(open: Open, work: () => Promise<T>): Promise<T> {
    // SQLite rolls the whole transaction back on some errors (I/O, memory): a SAVEPOINT now would begin
    // a new transaction that its RELEASE commits, half of the caller's work stored as if all of it were.
    if (!this.db.inTransaction) throw new Error('the transaction was rolled back by SQLite; nothing of it is stored');
    const name = `sp${++open.depth}`;
    this.db.exec(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      this.db.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      // SQLite may have rolled the whole transaction back already (a full disk, an I/O error).
      if (this.db.inTransaction) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw err;
    } finally {
      open.depth--;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

class SqliteStatement<P extends unknown[], R> implements SqlStatement<P, R> {
  private readonly sql: SqliteSql;
  private readonly text: string;
  private readonly plucked: boolean;
  private prepared: Statement | null = null;

  constructor(sql: SqliteSql, text: string, plucked: boolean) {
    this.sql = sql;
    this.text = text;
    this.plucked = plucked;
  }

  private statement(): Statement {
    // A plucking statement is a prepared copy of its own: pluck() changes the statement.
    return (this.prepared ??= this.sql.statement(this.text, this.plucked));
  }

  private call<T>(run: (statement: Statement) => T): Promise<T> {
    const blocked = this.sql.blockedBy();
    if (blocked) return this.afterwards(blocked, run);
    try {
      return Promise.resolve(run(this.statement()));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private async afterwards<T>(blocked: Promise<void>, run: (statement: Statement) => T): Promise<T> {
    for (let wait: Promise<void> | null = blocked; wait; wait = this.sql.blockedBy()) await wait;
    return run(this.statement());
  }

  get(...params: P): Promise<R | undefined> {
    return this.call((s) => s.get(...params) as R | undefined);
  }

  all(...params: P): Promise<R[]> {
    return this.call((s) => s.all(...params) as R[]);
  }

  run(...params: P): Promise<RunResult> {
    return this.call((s) => ({ changes: s.run(...params).changes }));
  }

  pluck<V = unknown>(): SqlStatement<P, V> {
    return new SqliteStatement<P, V>(this.sql, this.text, true);
  }
}
