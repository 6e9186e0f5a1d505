// Retention by hand: the raw bytes and attachment files of processed messages
// older than a number of days go; the rows, decisions and reply text stay.
// `serve` does the same once a day.
import { InvalidError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { PurgeReport } from '../store/index.ts';

export interface PurgeRequest {
  /** Days to keep; default retention.rawDays. */
  days?: number | undefined;
  dryRun: boolean;
  progress?: (soFar: PurgeReport) => void;
}

export async function purgeRawMessages(ctx: Context, request: PurgeRequest): Promise<{ before: Date; report: PurgeReport }> {
  const days = request.days ?? ctx.config.retention.rawDays;
  if (!Number.isInteger(days) || days < 1) {
    if (request.days !== undefined) throw new InvalidError(`days must be a whole number of days from 1, got "${request.days}"`, 'days');
    throw new InvalidError('retention.rawDays is 0 (keep forever): nothing to purge; give a number of days to purge by hand', 'days');
  }
  const now = ctx.clock.now();
  const before = new Date(now.getTime() - days * 86_400_000);
  const report = await ctx.retention.purge({ before, now, dryRun: request.dryRun, ...(request.progress ? { progress: request.progress } : {}) });
  return { before, report };
}
