// The two schemas cannot drift apart: SQLite and PostgreSQL are each migrated to
// their latest version, and every table's columns (types by family),
// nullability, defaults, primary keys, CHECK constraints and indexes are read
// back from each catalogue and compared. A migration added to one list and not
// the other fails here.
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/sqlite/migrations.ts';
import { postgresMigrations } from '../../src/store/postgres/migrations.ts';
import { freshPostgresDatabase } from '../helpers/postgres.ts';

interface ColumnShape {
  family: string;
  notNull: boolean;
  default: string | null;
}

interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  /** Each CHECK as the columns and literals it names: the dialects print expressions differently. */
  checks: string[];
  /** Each index other than the primary key's, as unique/partial and its columns. */
  indexes: string[];
}

type SchemaShape = Record<string, TableShape>;

/** A declared type's family: the two dialects spell integers, text and bytes differently. */
function family(declared: string): string {
  const type = declared.toLowerCase();
  if (/int|serial/.test(type)) return 'integer';
  if (/char|text|clob/.test(type)) return 'text';
  if (/blob|bytea/.test(type)) return 'bytes';
  if (/real|floa|doub|numeric|decimal/.test(type)) return 'real';
  if (/bool/.test(type)) return 'boolean';
  if (/json/.test(type)) return 'json';
  if (/time|date/.test(type)) return 'time';
  return type;
}

/** A default as a value: PostgreSQL adds casts (`'smtp'::text`) and parentheses. */
function normalDefault(value: string | null): string | null {
  if (value === null) return null;
  let text = value.trim();
  for (;;) {
    const unwrapped = text.replace(/::[a-z ]+(\[\])?$/i, '').replace(/^\((.*)\)$/s, '$1');
    if (unwrapped === text) break;
    text = unwrapped;
  }
  return text.replace(/"/g, "'").toLowerCase();
}

/** The columns and literals a CHECK names, sorted: what it allows, whatever the dialect's spelling. */
function checkShape(expression: string, columns: string[]): string {
  const literals = [...expression.matchAll(/'((?:[^']|'')*)'/g)].map((m) => `'${m[1]}'`);
  const withoutLiterals = expression.replace(/'((?:[^']|'')*)'/g, ' ');
  const words = new Set(withoutLiterals.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
  const named = columns.filter((c) => words.has(c));
  return `${[...new Set(named)].sort().join(',')} | ${[...new Set(literals)].sort().join(',')}`;
}

/** Every CHECK (...) in a CREATE TABLE statement, with balanced parentheses. */
function checksInSql(sql: string): string[] {
  const found: string[] = [];
  const pattern = /\bCHECK\s*\(/gi;
  for (let match = pattern.exec(sql); match; match = pattern.exec(sql)) {
    let depth = 1;
    let at = match.index + match[0].length;
    const start = at;
    while (at < sql.length && depth > 0) {
      if (sql[at] === '(') depth++;
      else if (sql[at] === ')') depth--;
      at++;
    }
    found.push(sql.slice(start, at - 1));
  }
  return found;
}

function sqliteSchema(): SchemaShape {
  const db = new Database(':memory:');
  try {
    migrate(db);
    const tables = db.prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
    const schema: SchemaShape = {};
    for (const table of tables) {
      const info = db
        .prepare<[], { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>(`SELECT * FROM pragma_table_info('${table.name}')`)
        .all();
      const columns: Record<string, ColumnShape> = {};
      for (const c of info) columns[c.name] = { family: family(c.type), notNull: c.notnull === 1 || c.pk > 0, default: normalDefault(c.dflt_value) };
      const primaryKey = info
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      const indexList = db
        .prepare<[], { name: string; unique: number; origin: string; partial: number }>(`SELECT * FROM pragma_index_list('${table.name}')`)
        .all();
      const indexes = indexList
        .filter((i) => i.origin !== 'pk')
        .map((i) => {
          const cols = db
            .prepare<[], { name: string | null }>(`SELECT name FROM pragma_index_info('${i.name}') ORDER BY seqno`)
            .all()
            .map((c) => c.name ?? '<expr>');
          return `${i.unique ? 'unique' : 'index'}${i.partial ? ' partial' : ''} (${cols.join(',')})`;
        })
        .sort();
      const names = Object.keys(columns);
      schema[table.name] = {
        columns,
        primaryKey,
        checks: checksInSql(table.sql)
          .map((e) => checkShape(e, names))
          .sort(),
        indexes,
      };
    }
    return schema;
  } finally {
    db.close();
  }
}

async function postgresSchema(): Promise<SchemaShape> {
  const client = new pg.Client({ connectionString: await freshPostgresDatabase() });
  await client.connect();
  try {
    for (const migration of postgresMigrations) await client.query(migration.sql);
    const columnRows = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }>(
      "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'",
    );
    const schema: SchemaShape = {};
    for (const c of columnRows.rows) {
      const table = (schema[c.table_name] ??= { columns: {}, primaryKey: [], checks: [], indexes: [] });
      table.columns[c.column_name] = { family: family(c.data_type), notNull: c.is_nullable === 'NO', default: normalDefault(c.column_default) };
    }
    const constraints = await client.query<{ table_name: string; contype: string; definition: string; columns: string[] }>(
      `SELECT cl.relname AS table_name, co.contype, pg_get_constraintdef(co.oid) AS definition,
              ARRAY(SELECT a.attname FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
         FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE n.nspname = 'public' AND co.contype IN ('p', 'c')`,
    );
    for (const c of constraints.rows) {
      const table = schema[c.table_name];
      if (!table) continue;
      if (c.contype === 'p') table.primaryKey = c.columns;
      else table.checks.push(checkShape(c.definition, Object.keys(table.columns)));
    }
    const indexRows = await client.query<{ table_name: string; unique: boolean; partial: boolean; columns: (string | null)[] }>(
      `SELECT t.relname AS table_name, ix.indisunique AS unique, ix.indpred IS NOT NULL AS partial,
              ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND NOT ix.indisprimary`,
    );
    for (const i of indexRows.rows) {
      const table = schema[i.table_name];
      if (!table) continue;
      table.indexes.push(`${i.unique ? 'unique' : 'index'}${i.partial ? ' partial' : ''} (${i.columns.map((c) => c ?? '<expr>').join(',')})`);
    }
    for (const table of Object.values(schema)) {
      table.checks.sort();
      table.indexes.sort();
    }
    return schema;
  } finally {
    await client.end();
  }
}

/** Tables one backend has for its own machinery, not data both share. */
const BACKEND_ONLY = new Set([
  // SQLite: the counter RCPT's cached answers are checked against (PostgreSQL follows routes with NOTIFY).
  'route_generation',
  // PostgreSQL: which migrations ran (SQLite keeps PRAGMA user_version).
  'schema_migrations',
  // PostgreSQL: attachment bytes every node can read (SQLite keeps them as files in the data dir).
  'attachment_blobs',
]);

/** Columns one backend has for its own machinery, as `table.column`. */
const BACKEND_ONLY_COLUMNS = new Set([
  // PostgreSQL: the order keys were made in, where SQLite orders by its rowid.
  'token_keys.seq',
]);

function shared(schema: SchemaShape): SchemaShape {
  const tables = Object.entries(schema).filter(([name]) => !BACKEND_ONLY.has(name));
  return Object.fromEntries(
    tables.map(([name, table]) => [
      name,
      { ...table, columns: Object.fromEntries(Object.entries(table.columns).filter(([column]) => !BACKEND_ONLY_COLUMNS.has(`${name}.${column}`))) },
    ]),
  );
}

describe('the SQLite and PostgreSQL schemas', () => {
  it('have the same tables, columns, types, nullability, defaults, keys, checks and indexes', async () => {
    const sqlite = shared(sqliteSchema());
    const postgres = shared(await postgresSchema());
    expect(Object.keys(postgres).sort()).toEqual(Object.keys(sqlite).sort());
    const differing = Object.keys(sqlite).filter((name) => JSON.stringify(postgres[name]) !== JSON.stringify(sqlite[name]));
    expect(Object.fromEntries(differing.map((name) => [name, postgres[name]]))).toEqual(Object.fromEntries(differing.map((name) => [name, sqlite[name]])));
  });
});
