// A Sql that tells what went through it: the text of every statement prepared,
// and every statement run with its parameters. For tests that count round
// trips or plan the statements the code really runs.
import type { Sql, SqlStatement } from '../../src/store/sql/sql.ts';

export interface Ran {
  text: string;
  params: unknown[];
}

export interface SpiedSql {
  sql: Sql;
  /** Texts in the order they were prepared (a repository prepares some in its constructor). */
  prepared: string[];
  /** Each get, all and run, in order. */
  ran: Ran[];
}

export function spyOn(sql: Sql): SpiedSql {
  const prepared: string[] = [];
  const ran: Ran[] = [];
  const recorded = (text: string, statement: SqlStatement): SqlStatement => {
    const record =
      (method: 'get' | 'all' | 'run') =>
      (...params: unknown[]): Promise<never> => {
        ran.push({ text, params });
        return (statement[method] as (...p: unknown[]) => Promise<never>)(...params);
      };
    return Object.assign(Object.create(statement) as SqlStatement, {
      get: record('get'),
      all: record('all'),
      run: record('run'),
      pluck: () => recorded(text, statement.pluck()),
    });
  };
  const prepare = (text: string): SqlStatement => {
    prepared.push(text);
    return recorded(text, sql.prepare(text));
  };
  return { sql: Object.assign(Object.create(sql) as Sql, { prepare: prepare as Sql['prepare'] }), prepared, ran };
}
