// mailroom purge [--dry-run]: retention by hand. Deletes the raw bytes and
// attachment files of processed messages older than retention.rawDays (what
// `serve` does once a day); the rows, decisions and reply text stay.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { purgeRawMessages } from '../operations/retention.ts';
import type { PurgeReport } from '../store/index.ts';
import { withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { formatBytes, printJson } from './output.ts';

function summary(r: PurgeReport, dryRun: boolean): string {
  const verb = dryRun ? 'would delete' : 'deleted';
  return `${verb} the raw bytes of ${r.messages} message(s) (${formatBytes(r.rawBytes)}) and ${r.attachmentFiles} attachment file(s) (${formatBytes(r.attachmentBytes)})`;
}

export function registerPurgeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('purge')
    .description('delete raw bytes and attachment files of processed messages older than retention.rawDays (serve does it daily)')
    .option('--dry-run', 'count what would go, change nothing')
    .option('--days <n>', 'this many days instead of retention.rawDays')
    .option('--json', 'print the totals as JSON')
    .action((options: { dryRun?: boolean; days?: string; json?: boolean }) =>
      withContext(globals(), async (ctx) => {
        const dryRun = options.dryRun === true;
        if (options.days !== undefined && !/^\d+$/.test(options.days))
          throw new UsageError(`--days must be a whole number of days from 1, got "${options.days}"`);
        const days = options.days === undefined ? undefined : Number(options.days);
        const { before, report } = await purgeRawMessages(ctx, {
          days,
          dryRun,
          progress: (r) => {
            if (process.stderr.isTTY) process.stderr.write(`\r${r.messages} message(s) so far`);
          },
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        if (options.json) return printJson({ dryRun, before: before.toISOString(), ...report });
        process.stdout.write(`${summary(report, dryRun)}, received before ${before.toISOString()}\n`);
      }),
    );
}
