// The repositories as the rest of the code sees them: every method answers with a
// promise. SQLite answers on the caller's thread in microseconds, so here the
// promise is already settled; a networked backend (PostgreSQL) answers the same
// shapes after a round trip, and no caller changes.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from './database.ts';

/** A repository's public methods, each answering with a promise of what it returns. */
export type Promised<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

type Method = (...args: unknown[]) => unknown;

/**
 * Lets one asynchronous transaction at a time own a SQLite connection. Work
 * inside it (followed through its awaits) goes straight to the connection;
 * anyone else's calls wait until it commits or rolls back, so they neither see
 * its uncommitted rows nor get rolled back with it.
 */
export class TransactionGate {
  private readonly owner = new AsyncLocalStorage<object>();
  private open: { token: object; done: Promise<void> } | null = null;
  private readonly db: Database;

  private constructor(db: Database) {
    this.db = db;
  }

  private static readonly gates = new WeakMap<Database, TransactionGate>();

  /** The gate of a connection: one per connection, however many repository sets are built over it. */
  static of(db: Database): TransactionGate {
    let gate = TransactionGate.gates.get(db);
    if (!gate) TransactionGate.gates.set(db, (gate = new TransactionGate(db)));
    return gate;
  }

  /** What a call from outside the open transaction waits for; null when it may go now. */
  blockedBy(): Promise<void> | null {
    const open = this.open;
    if (!open || this.owner.getStore() === open.token) return null;
    return open.done;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    // A transaction inside the open one joins it, as better-sqlite3's nested transactions do.
    if (this.open && this.owner.getStore() === this.open.token) return work();
    for (let wait = this.blockedBy(); wait; wait = this.blockedBy()) await wait;
    const token = {};
    let finish = (): void => {};
    this.open = { token, done: new Promise<void>((resolve) => (finish = resolve)) };
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.owner.run(token, work);
        this.db.exec('COMMIT');
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
}

function methodNames(target: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(target); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
  }
  for (const name of Object.keys(target)) names.add(name);
  return [...names].filter((name) => typeof (target as Record<string, unknown>)[name] === 'function');
}

/** Wraps a synchronous repository: each method runs at once (or after the open transaction, for outsiders) and answers with a promise. */
export function promised<T extends object>(target: T, gate: TransactionGate | null): Promised<T> {
  const wrapped: Record<string, Method> = {};
  for (const name of methodNames(target)) {
    const method = (target as Record<string, Method>)[name] as Method;
    const call = (args: unknown[]): unknown => method.apply(target, args);
    wrapped[name] = (...args: unknown[]) => {
      const blocked = gate?.blockedBy();
      if (blocked) return waitThenCall(gate as TransactionGate, blocked, () => call(args));
      try {
        return Promise.resolve(call(args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return wrapped as Promised<T>;
}

async function waitThenCall(gate: TransactionGate, blocked: Promise<void>, call: () => unknown): Promise<unknown> {
  for (let wait: Promise<void> | null = blocked; wait; wait = gate.blockedBy()) await wait;
  return call();
}
