// What a start checks and cleans before anything listens: the data dir is this
// process's alone, the zone file reads, and what a process that stopped without
// finishing left behind is taken back.
import { loadZoneFile, ZoneFileError } from '../dns/index.ts';
import type { Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { ensureSpoolDir } from '../store/index.ts';
import { acquireInstanceLock, InstanceLockError, type InstanceLock } from './instance-lock.ts';

export function lockDataDir(dataDir: string): InstanceLock {
  try {
    return acquireInstanceLock(dataDir);
  } catch (err) {
    if (err instanceof InstanceLockError) throw new UsageError(err.message);
    throw err;
  }
}

/** A broken zone file stops the start here, with its name, not later in a thread. */
export function checkZoneFile(zoneFile: string): void {
  if (!zoneFile) return;
  try {
    loadZoneFile(zoneFile);
  } catch (err) {
    if (err instanceof ZoneFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** What a process that stopped without finishing left behind: spool files never acknowledged, jobs and sends under way. */
export async function recoverFromLastRun(ctx: Context): Promise<void> {
  const { log } = ctx;
  ensureSpoolDir(ctx.config.data.dir);
  const strays = await ctx.raw.removeOrphans();
  if (strays > 0) log.info({ files: strays }, 'removed spool files of messages that were never acknowledged');
  // On PostgreSQL other nodes may hold leases right now: a dead node's work is taken over when its leases end (worker.leaseMs).
  if (ctx.backend === 'postgres') return;
  const orphaned = await ctx.jobs.releaseOrphaned(ctx.clock.now().getTime());
  if (orphaned > 0) log.warn({ jobs: orphaned }, 'resuming jobs left running by a previous process that stopped without finishing them');
  // The inboxes the previous process was reading are read again at once, not when its leases run out.
  await ctx.inboxes.releaseAllReaders();
  const sending = await ctx.outbound.releaseOrphaned(ctx.clock.now().getTime());
  if (sending > 0) log.warn({ messages: sending }, 'resending outbound messages a previous process was sending when it stopped (same Message-ID)');
}
