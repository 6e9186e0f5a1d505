// Moving an installation from its SQLite file to PostgreSQL: every table, in
// an order that satisfies the foreign keys, in one PostgreSQL transaction (a
// copy that fails leaves the target as it was), with the ids kept. Spooled
// messages' bytes go into the database (no other node could read the file).
// Then each table is verified: row count and a checksum over every row, read
// back from PostgreSQL and compared with what was read from SQLite.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import type pg from 'pg';
import { ConflictError, InvalidError } from '../../errors.ts';
import { onOwnConnection, type PostgresSql } from './driver.ts';

/** Parents before children. route_generation is not copied: the target's triggers keep their own. */
export const COPY_ORDER = [
  'tenants',
  'tenant_domains',
  'routes',
  'candidates',
  'candidate_emails',
  'conversations',
  'accounts',
  'outbound_messages',
  'messages',
  'message_raw',
  'message_parsed',
  'jobs',
  'attachment_refs',
  'token_keys',
  'events',
  'webhooks',
  'webhook_deliveries',
  'api_tokens',
  'sent_copies',
  'inboxes',
  'inbox_imports',
  'console_users',
  'console_sessions',
  'oauth_sign_ins',
  'idempotency_keys',
  'tenant_checks',
] as const;

/** Tables whose id PostgreSQL generates: their sequences continue after the copied ids. */
const IDENTITY_TABLES = ['tenants', 'routes', 'candidates', 'conversations', 'accounts', 'jobs', 'webhooks', 'api_tokens', 'inboxes', 'console_users'];

const ROWS_PER_INSERT = 200;

export interface TableCopy {
  table: string;
  rows: number;
  /** sha256 over every row as read from SQLite (after spool files were read in). */
  checksum: string;
  /** The same over the rows read back from PostgreSQL. */
  targetChecksum: string;
  targetRows: number;
}

type Row = Record<string, unknown>;

/** One value in a form both databases give alike: integers, text, bytes and NULL are all the schema holds. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'N';
  if (Buffer.isBuffer(value)) return `b${value.toString('hex')}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `n${value.toString()}`;
  return `s${String(value)}`;
}

function hashRows(hash: ReturnType<typeof createHash>, columns: readonly string[], rows: readonly Row[]): void {
  for (const row of rows) hash.update(`${columns.map((c) => canonical(row[c])).join('\u0001')}\u0002`);
}

/**
 * The order rows are read in on both sides, so the checksums compare: the
 * primary key, with text compared byte by byte (SQLite's way) on PostgreSQL too.
 */
function orderOf(db: Database, table: string): { sqlite: string; postgres: string } {
  const keys = db.prepare(`SELECT name, type FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).all(table) as { name: string; type: string }[];
  return {
    sqlite: keys.map((k) => k.name).join(', '),
    postgres: keys.map((k) => (k.type.toUpperCase() === 'TEXT' ? `${k.name} COLLATE "C"` : k.name)).join(', '),
  };
}

export interface CopyOptions {
  /** The SQLite data dir (spool files are read from it). */
  dataDir: string;
  progress?: (table: string, done: number, total: number) => void;
}

/** Refuses a target that already holds data: a copy never merges. */
async function assertEmpty(client: pg.PoolClient): Promise<void> {
  for (const table of COPY_ORDER) {
    const { rows } = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
    if (rows.length > 0) throw new ConflictError(`the target database already has rows in ${table}: copy into a new, empty database`);
  }
}

export async function copySqliteToPostgres(source: Database, target: PostgresSql, options: CopyOptions): Promise<TableCopy[]> {
  const dataDir = resolve(options.dataDir);
  return onOwnConnection(target.pool, async (client) => {
    await assertEmpty(client);
    const results: TableCopy[] = [];
    for (const table of COPY_ORDER) results.push(await copyTable(source, client, table, dataDir, options.progress));
    for (const table of IDENTITY_TABLES) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence($1, 'id'), GREATEST(COALESCE((SELECT MAX(id) FROM ${table}), 0), 1), (SELECT COUNT(*) > 0 FROM ${table}))`,
        [table],
      );
    }
    await client.query('UPDATE route_generation SET value = value + 1 WHERE id = 1');
    for (const result of results) {
      if (result.rows !== result.targetRows || result.checksum !== result.targetChecksum) {
        throw new Error(
          `${result.table}: ${result.rows} rows read, ${result.targetRows} written; checksums ${result.checksum.slice(0, 12)} and ${result.targetChecksum.slice(0, 12)}`,
        );
      }
    }
    return results;
  });
}

async function copyTable(source: Database, client: pg.PoolClient, table: string, dataDir: string, progress?: CopyOptions['progress']): Promise<TableCopy> {
  // token_keys.seq is PostgreSQL's own (an identity column): the rows go in oldest first, so it keeps their order.
  const columns = (source.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((r) => r.name);
  const order = table === 'token_keys' ? { sqlite: 'created_at, rowid', postgres: 'seq' } : orderOf(source, table);
  const total = (source.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const sourceHash = createHash('sha256');
  let done = 0;
  const statement = source.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${order.sqlite}`);
  let batch: Row[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const values: unknown[] = [];
    const tuples = batch.map((row) => `(${columns.map((c) => `$${values.push(row[c])}`).join(', ')})`);
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')}`, values);
    hashRows(sourceHash, columns, batch);
    done += batch.length;
    progress?.(table, done, total);
    batch = [];
  };
  for (const raw of statement.iterate() as Iterable<Row>) {
    const row = table === 'message_raw' && raw.path ? { ...raw, raw: spooledBytes(dataDir, String(raw.path)), path: null } : raw;
    batch.push(row);
    if (batch.length >= ROWS_PER_INSERT) await flush();
  }
  await flush();
  if (total === 0) progress?.(table, 0, 0);
  // Read back in the same order.
  const targetHash = createHash('sha256');
  const back = await client.query<Row>(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${order.postgres}`);
  hashRows(targetHash, columns, back.rows);
  return { table, rows: done, checksum: sourceHash.digest('hex'), targetChecksum: targetHash.digest('hex'), targetRows: back.rows.length };
}

function spooledBytes(dataDir: string, path: string): Buffer {
  try {
    return readFileSync(join(dataDir, path));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new InvalidError(`cannot read the spooled message ${path} in ${dataDir} (${reason}): copy from the data dir the server used`, 'from');
  }
}
