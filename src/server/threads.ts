// The threads a node runs on demand: the pipeline's (started together when
// committed work waits and intake is quiet) and the relay's (outbound mail and
// webhooks, while something is due).
import { availableParallelism } from 'node:os';
import type { Context } from '../context.ts';
// The thread handle only: the pipeline's own modules (mailparser, ...) load in its thread.
import { PipelineThread } from '../pipeline/pipeline-thread-handle.ts';
import { OnDemandThread } from '../runtime/on-demand-thread.ts';
import { ThreadGroup } from '../runtime/thread-group.ts';
import { RelayThread } from '../relay/relay-thread-handle.ts';
import { relayWorkDueAt } from '../relay/work-due.ts';
import type { StoreThread } from '../commit/index.ts';

/** pipeline.threads, where 0 is the machine's cores minus one (the main thread, with SMTP and the store thread, keeps one). */
export function pipelineThreadCount(configured: number): number {
  return configured > 0 ? configured : Math.max(1, availableParallelism() - 1);
}

/**
 * The pipeline's threads, started together when committed work waits and intake
 * is quiet; with worker.idleStopMs 0 no controller (demand is null): beginPipeline
 * starts them with the server, so no first message waits for a thread's start.
 */
export function pipelineOnDemand(ctx: Context, store: StoreThread | null, intakeBusy: () => boolean): { pipeline: ThreadGroup; demand: OnDemandThread | null } {
  const { config } = ctx;
  const workerLog = ctx.log.child({ subsystem: 'worker' });
  const count = pipelineThreadCount(config.pipeline.threads);
  const pipeline = new ThreadGroup(
    Array.from(
      { length: count },
      (_, i) =>
        new PipelineThread(
          {
            dataDir: config.data.dir,
            settings: config.worker,
            dns: config.dns,
            auth: config.auth,
            secret: config.secret,
            mta: config.smtp.hostname,
            logLevel: config.log.level,
            connectStore: store ? () => store.connectPipeline() : null,
            databaseUrl: config.database.url,
            poolSize: config.database.poolSize,
          },
          count > 1 ? workerLog.child({ thread: i + 1 }) : workerLog,
        ),
    ),
  );
  if (config.worker.idleStopMs === 0) return { pipeline, demand: null };
  const demand = new OnDemandThread(pipeline, {
    startDelayMaxMs: config.worker.startDelayMaxMs,
    nextDueAt: () => ctx.jobs.nextDueAt(),
    intakeBusy,
    nowMs: () => ctx.clock.now().getTime(),
    onError: (err) => workerLog.error({ err }, 'could not read when pipeline work is due; looking again at the next commit'),
    onChange: (change, detail) =>
      workerLog.info(
        { ...detail, threads: count },
        change === 'started' ? 'pipeline thread started: work is waiting' : 'pipeline thread stopped: no work for worker.idleStopMs',
      ),
  });
  return { pipeline, demand };
}

/** Once the server listens: the pipeline's threads start now (worker.idleStopMs 0), or when work is waiting. */
export function beginPipeline({ pipeline, demand }: { pipeline: ThreadGroup; demand: OnDemandThread | null }): void {
  if (demand) demand.begin();
  else pipeline.start();
}

const RELAY_CHANGES = {
  started: 'relay thread started: mail to send or webhooks to deliver',
  standby: 'relay thread started: a tenant has a sending account, so sends start at once',
  stopped: 'relay thread stopped: nothing to send for relay.idleStopMs and no sending account',
} as const;

/** The relay thread (outbound mail, webhooks): always running with relay.idleStopMs 0, else while something is due. */
export function relayOnDemand(ctx: Context, publicUrl: string): { relay: RelayThread; demand: OnDemandThread | null } {
  const { config, log } = ctx;
  const relay = new RelayThread(
    {
      dataDir: config.data.dir,
      settings: config.relay,
      webhooks: config.webhooks,
      dns: config.dns,
      secret: config.secret,
      hostname: config.smtp.hostname,
      publicUrl,
      logLevel: config.log.level,
      databaseUrl: config.database.url,
      poolSize: config.database.poolSize,
      leaseMs: config.worker.leaseMs,
    },
    log,
  );
  if (config.relay.idleStopMs === 0) {
    relay.start();
    return { relay, demand: null };
  }
  // Outbound mail and webhook deliveries are also queued by CLI commands: the queues are looked at while the thread is stopped.
  const demand = new OnDemandThread(relay, {
    startDelayMaxMs: 0,
    nextDueAt: relayWorkDueAt(ctx),
    intakeBusy: () => false,
    pollMs: config.relay.pollIntervalMs,
    nowMs: () => ctx.clock.now().getTime(),
    // A server with sending accounts keeps the relay ready: a send then reaches the provider in milliseconds instead of
    // after a thread's start (~0.1-0.3 s), for ~25 MB of memory; a server that only receives holds no relay while idle.
    standby: () => ctx.accounts.any(),
    onError: (err) => log.error({ err }, 'could not read when relay work is due; looking again at the next poll'),
    onChange: (change, detail) => log.info(detail, RELAY_CHANGES[change]),
  });
  demand.begin();
  return { relay, demand };
}
