// mailroom db: the database itself. `migrate` applies the schema (also done at
// every start; several nodes starting at once migrate once), `status` says
// which database this node uses and how far its schema is, and `copy` moves an
// installation from its SQLite file to PostgreSQL, verified table by table.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import {
  copySqliteToPostgres,
  databasePath,
  databaseStatus,
  describeDatabase,
  migrateDatabase,
  migratePostgres,
  openDatabase,
  PostgresSql,
} from '../store/index.ts';
import { loadCliConfig } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { printFields, printJson, printTable } from './output.ts';
import { existsSync } from 'node:fs';

export function registerDbCommands(program: Command, globals: () => GlobalOptions): void {
  const db = program.command('db').description('the database: schema migrations, status, and moving from SQLite to PostgreSQL');

  db.command('migrate')
    .description('apply the schema migrations this version needs (every start does it too; nodes starting together migrate once)')
    .option('--json', 'print a JSON object')
    .action(async (options: { json?: boolean }) => {
      const config = loadCliConfig(globals());
      const applied = await migrateDatabase(config.database.url, config.data.dir);
      const where = describeDatabase(config.database.url, config.data.dir);
      if (options.json) return printJson({ database: where, applied });
      process.stdout.write(applied.length ? `${where}: applied migrations ${applied.join(', ')}\n` : `${where}: the schema is up to date\n`);
    });

  db.command('status')
    .description('which database this node uses, and its schema migrations applied and pending')
    .option('--json', 'print a JSON object')
    .action(async (options: { json?: boolean }) => {
      const config = loadCliConfig(globals());
      const found = await databaseStatus(config.database.url, config.data.dir);
      if (options.json) return printJson(found);
      printFields([
        ['backend', found.backend],
        ['database', found.database],
        ['schema', found.applied.length ? `version ${found.applied[found.applied.length - 1]!.version}` : 'none yet'],
        ['pending', found.pending.length ? found.pending.map((m) => m.version).join(', ') : 'none'],
      ]);
    });

  db.command('copy')
    .description('copy an installation from its SQLite data dir into an empty PostgreSQL database, and verify every table')
    .requiredOption('--from <dataDir>', 'the data dir holding mailroom.db (stop the server that uses it first)')
    .requiredOption('--to <url>', 'postgres://user:password@host:5432/db, an empty database')
    .option('--json', 'print a JSON array, one object per table')
    .action(async (options: { from: string; to: string; json?: boolean }) => {
      if (!existsSync(databasePath(options.from))) throw new UsageError(`no mailroom database in ${options.from} (expected ${databasePath(options.from)})`);
      if (!/^postgres(ql)?:\/\//.test(options.to)) throw new UsageError(`--to must be a postgres:// URL, not ${JSON.stringify(options.to)}`);
      const source = openDatabase(options.from, { readonly: true });
      const target = new PostgresSql({ url: options.to, max: 2, applicationName: 'mailroom db copy' });
      try {
        await migratePostgres(target);
        const tables = await copySqliteToPostgres(source, target, {
          dataDir: options.from,
          progress: options.json
            ? undefined
            : (table, done, total) => process.stderr.write(`\r${table}: ${done}/${total} rows`.padEnd(60) + (done === total ? '\n' : '')),
        });
        if (options.json) return printJson(tables);
        printTable(
          tables,
          [
            { header: 'table', value: (t) => t.table },
            { header: 'rows', value: (t) => t.rows },
            { header: 'sha256', value: (t) => t.checksum.slice(0, 16) },
            { header: 'verified', value: (t) => (t.rows === t.targetRows && t.checksum === t.targetChecksum ? 'yes' : 'NO') },
          ],
          'no tables',
        );
        process.stdout.write(
          `copied ${describeDatabase('', options.from)} to ${describeDatabase(options.to, '')}; start the nodes with MAILROOM_DATABASE_URL set\n`,
        );
      } finally {
        source.close();
        await target.close();
      }
    });
}
