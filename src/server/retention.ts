// The daily retention run of a serving node.
import type { Context } from '../context.ts';
import type { Logger } from '../log.ts';

const DAY_MS = 86_400_000;

/**
 * Retention once a day (and a minute after start): the raw bytes and attachment
 * files of processed messages older than retention.rawDays go. It runs on the
 * main connection in batches; a failure is logged and tried again the next day.
 */
export function scheduleRetention(ctx: Context, log: Logger): { stop(): Promise<void> } {
  let stopping = false;
  let running: Promise<void> | null = null;
  const purge = async (): Promise<void> => {
    const days = ctx.config.retention.rawDays;
    if (days <= 0) return;
    const now = ctx.clock.now();
    try {
      const options = { before: new Date(now.getTime() - days * DAY_MS), now, dryRun: false, stopping: () => stopping };
      const report = await ctx.retention.purge(options);
      if (report.messages > 0) log.info({ ...report, rawDays: days }, 'retention: deleted the raw bytes of old processed messages');
    } catch (err) {
      log.error({ err }, 'retention failed; it runs again in a day (or run `npx mailroom purge`)');
    }
  };
  const run = (): void => {
    running ??= purge().finally(() => (running = null));
  };
  const first = setTimeout(run, 60_000);
  const daily = setInterval(run, DAY_MS);
  first.unref();
  daily.unref();
  return {
    // A run under way ends after its current batch, before the database closes.
    async stop() {
      stopping = true;
      clearTimeout(first);
      clearInterval(daily);
      await running;
    },
  };
}
