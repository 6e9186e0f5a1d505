// Prepared statements kept per connection and SQL text: the relay, the webhook
// dispatcher and the API run the same queries for every message, and preparing
// them each time cost a tenth of the relay's CPU in profiles.
import type { Statement } from 'better-sqlite3';
import type { Database } from './database.ts';

export class StatementCache {
  private readonly db: Database;
  private readonly statements = new Map<string, Statement>();

  constructor(db: Database) {
    this.db = db;
  }

  get(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
