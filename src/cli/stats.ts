// mailroom stats: tenants, messages by status, jobs by state, storage on disk.
import type { Command } from 'commander';
import { databaseFileBytes, describeDatabase, spoolUsage } from '../store/index.ts';
import { withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { formatBytes, printFields, printJson } from './output.ts';

export function registerStatsCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('stats')
    .description('counts of tenants, messages by status, jobs by state, and storage size')
    .option('--json', 'print a JSON object')
    .action((options: { json?: boolean }) =>
      withContext(globals(), async (ctx) => {
        const totals = await ctx.messages.totals();
        const spool = spoolUsage(ctx.config.data.dir);
        const stats = {
          tenants: (await ctx.tenants.list()).length,
          messages: { total: totals.count, bytes: totals.bytes, byStatus: await ctx.messages.countByStatus() },
          jobs: await ctx.jobs.countByState(),
          storage: {
            databaseBytes: (await ctx.gauges.sharedDatabaseBytes()) ?? databaseFileBytes(ctx.config.data.dir),
            spoolFiles: spool.files,
            spoolBytes: spool.bytes,
          },
        };
        if (options.json) return printJson(stats);
        printFields([
          ['tenants', stats.tenants],
          ['messages', `${totals.count} (${formatBytes(totals.bytes)})`],
          ...Object.entries(stats.messages.byStatus).map(([status, n]): [string, number] => [`  ${status}`, n]),
          ['jobs queued', stats.jobs.queued],
          ['jobs running', stats.jobs.running],
          ['jobs done', stats.jobs.done],
          ['jobs failed', stats.jobs.failed],
          ['database', `${formatBytes(stats.storage.databaseBytes)} (${describeDatabase(ctx.config.database.url, ctx.config.data.dir)})`],
          ['spool', `${spool.files} files (${formatBytes(spool.bytes)})`],
        ]);
      }),
    );
}
