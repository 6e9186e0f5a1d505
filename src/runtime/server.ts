// The running server: the SMTP listener on the main thread, the store thread
// that commits everything (group commit), and the pipeline and relay threads,
// each started when work is waiting and stopped when idle (on-demand-thread.ts).
// `mailroom serve`, the tests and the benchmarks all start it through here.
import type { AddressInfo } from 'node:net';
// The zone file alone, not auth/index.ts: that would load mailauth (and its
// BIMI certificate and HTTP stacks) into the SMTP thread, memory it never uses.
import { loadZoneFile, ZoneFileError } from '../auth/zone-resolver.ts';
import type { Context } from './context.ts';
import type { Logger } from '../log.ts';
import { UsageError } from '../errors.ts';
import { Metrics } from '../http/metrics.ts';
import { startHttpServer, type HttpServer } from '../http/server.ts';
// The thread handle only: the pipeline's own modules (mailparser, ...) load in its thread.
import { PipelineThread } from '../pipeline/pipeline-thread-handle.ts';
import { OnDemandThread } from './on-demand-thread.ts';
import { loadTlsMaterial, SmtpListener } from '../smtp/index.ts';
import { RelayThread } from '../relay/relay-thread-handle.ts';
import { relayWorkDueAt } from '../relay/work-due.ts';
import { acquireInstanceLock, diskWatermark, ensureSpoolDir, InstanceLockError, type CandidateInput, type InstanceLock } from '../store/index.ts';
import { GroupCommitter, StoreThread } from '../commit/index.ts';

export interface RunningServer {
  smtp: AddressInfo;
  /** The HTTP API's address (null when http.enabled is false). */
  http: AddressInfo | null;
  listener: SmtpListener;
  /** Whether the pipeline thread is running now (it runs while there is work). */
  readonly pipelineRunning: boolean;
  /** Whether the relay thread (outbound mail, webhooks) is running now. */
  readonly relayRunning: boolean;
  /** Graceful stop: sessions finish within the grace period, the threads stop, the database closes. */
  stop(): Promise<void>;
}

function lockDataDir(dataDir: string): InstanceLock {
  try {
    return acquireInstanceLock(dataDir);
  } catch (err) {
    if (err instanceof InstanceLockError) throw new UsageError(err.message);
    throw err;
  }
}

export async function startServer(ctx: Context, options: { worker?: boolean; relay?: boolean } = {}): Promise<RunningServer> {
  const { config, log } = ctx;
  // A broken zone file stops the start here, with its name, not later in a thread.
  if (config.dns.zoneFile) {
    try {
      loadZoneFile(config.dns.zoneFile);
    } catch (err) {
      if (err instanceof ZoneFileError) throw new UsageError(err.message);
      throw err;
    }
  }
  const lock = lockDataDir(config.data.dir);
  try {
    ensureSpoolDir(config.data.dir);
    const strays = ctx.raw.removeOrphans();
    if (strays > 0) log.info({ files: strays }, 'removed spool files of messages that were never acknowledged');
    const orphaned = ctx.jobs.releaseOrphaned(ctx.clock.now().getTime());
    if (orphaned > 0) log.warn({ jobs: orphaned }, 'resuming jobs left running by a previous process that stopped without finishing them');
    const sending = ctx.outbound.releaseOrphaned(ctx.clock.now().getTime());
    if (sending > 0) log.warn({ messages: sending }, 'resending outbound messages a previous process was sending when it stopped (same Message-ID)');
    const workerLog = log.child({ subsystem: 'worker' });
    let pipeline: PipelineThread | null = null;
    let demand: OnDemandThread | null = null;
    const store = new StoreThread({ dataDir: config.data.dir, maxSizeMb: config.data.maxSizeMb }, (err) => {
      log.error({ err }, 'the store thread failed: messages in flight were refused with 451; starting a new one');
      void pipeline?.restart();
    });
    if (options.worker !== false) {
      pipeline = new PipelineThread(
        {
          dataDir: config.data.dir,
          settings: config.worker,
          dns: config.dns,
          auth: config.auth,
          secret: config.secret,
          mta: config.smtp.hostname,
          logLevel: config.log.level,
          connectStore: () => store.connectPipeline(),
        },
        workerLog,
      );
      demand = new OnDemandThread(pipeline, {
        startDelayMaxMs: config.worker.startDelayMaxMs,
        nextDueAt: () => ctx.jobs.nextDueAt(),
        intakeBusy: () => listener.transactionsInFlight > 0,
        nowMs: () => ctx.clock.now().getTime(),
        onChange: (change, detail) =>
          workerLog.info(detail, change === 'started' ? 'pipeline thread started: work is waiting' : 'pipeline thread stopped: no work for worker.idleStopMs'),
      });
    }
    const committer = new GroupCommitter(store, {
      windowMs: config.data.groupCommitWindowMs,
      maxMessages: config.data.groupCommitMaxMessages,
      nowMs: () => ctx.clock.now().getTime(),
      onCommitted: () => demand?.committed(),
    });
    const smtpLog = log.child({ subsystem: 'smtp' });
    const tls = await loadTlsMaterial(config.smtp.tls, config.data.dir, config.smtp.hostname, smtpLog);
    const metrics = new Metrics(ctx.gauges);
    let stopping: Promise<void> | null = null;
    let http: HttpServer | null = null;
    if (config.http.enabled) {
      const upsertCandidates = (tenant: string, rows: CandidateInput[]) => store.upsertCandidates(tenant, rows);
      http = await startHttpServer({ ctx, metrics, ready: () => stopping === null, upsertCandidates }, config.http.host, config.http.port).catch(
        async (err: NodeJS.ErrnoException) => {
          await store.close();
          throw new UsageError(
            `cannot listen for HTTP on ${config.http.host}:${config.http.port} (${err.code ?? err.message}); choose another http.host/http.port (MAILROOM_HTTP_HOST, MAILROOM_HTTP_PORT), or set http.enabled to false`,
          );
        },
      );
    }
    const listener = new SmtpListener({
      settings: config.smtp,
      dataDir: config.data.dir,
      tenants: ctx.tenants,
      committer,
      tls,
      log: smtpLog,
      now: () => ctx.clock.now(),
      metrics: metrics.smtp,
      diskLow: diskWatermark(config.data.dir, config.data.minFreeMb).low,
    });
    const smtp = await listener.listen().catch(async (err: NodeJS.ErrnoException) => {
      await http?.close();
      await store.close();
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
        throw new UsageError(
          `cannot listen on ${config.smtp.host}:${config.smtp.port} (${err.code}); choose another smtp.host/smtp.port (MAILROOM_SMTP_HOST, MAILROOM_SMTP_PORT)`,
        );
      }
      throw err;
    });
    demand?.begin();
    const relay =
      options.relay === false
        ? null
        : new RelayThread(
            {
              dataDir: config.data.dir,
              settings: config.relay,
              webhooks: config.webhooks,
              dns: config.dns,
              secret: config.secret,
              hostname: config.smtp.hostname,
              logLevel: config.log.level,
            },
            log,
          );
    let relayDemand: OnDemandThread | null = null;
    if (relay && config.relay.idleStopMs === 0) relay.start();
    else if (relay) {
      // Outbound mail and webhook deliveries are also queued by CLI commands: the queues are looked at while the thread is stopped.
      relayDemand = new OnDemandThread(relay, {
        startDelayMaxMs: 0,
        nextDueAt: relayWorkDueAt(ctx),
        intakeBusy: () => false,
        pollMs: config.relay.pollIntervalMs,
        nowMs: () => ctx.clock.now().getTime(),
        onChange: (change, detail) =>
          log.info(
            detail,
            change === 'started' ? 'relay thread started: mail to send or webhooks to deliver' : 'relay thread stopped: nothing to send for relay.idleStopMs',
          ),
      });
      relayDemand.begin();
    }
    // A decision's event is delivered at once: a running relay thread is told, a stopped one is started.
    const demandOfRelay = relayDemand;
    store.onEvents = () => {
      if (!relay) return;
      if (relay.running) relay.notify('wake');
      else demandOfRelay?.committed();
    };
    const retention = scheduleRetention(ctx, log);
    metrics.watchThreads(() => ({ ...(pipeline ? { pipeline: pipeline.running } : {}), ...(relay ? { relay: relay.running } : {}) }));
    log.info({ host: smtp.address, port: smtp.port, dataDir: config.data.dir, tls: tls.source }, 'mailroom listening for SMTP');
    if (http) log.info({ host: http.address.address, port: http.address.port }, 'mailroom HTTP API listening');
    if (ctx.tenants.list().length === 0) {
      log.warn('no tenants yet, so every recipient is refused: add one with `mailroom tenants add <slug> --domain D --reply-domain R`');
    }

    return {
      smtp,
      http: http?.address ?? null,
      listener,
      get pipelineRunning() {
        return pipeline?.running ?? false;
      },
      get relayRunning() {
        return relay?.running ?? false;
      },
      stop() {
        stopping ??= (async () => {
          await retention.stop();
          await http?.close();
          await listener.stop();
          await committer.drain();
          await demand?.stop();
          await (relayDemand ?? relay)?.stop();
          await store.close();
          ctx.close();
          lock.release();
          log.info('mailroom stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

const DAY_MS = 86_400_000;

/**
 * Retention once a day (and a minute after start): the raw bytes and attachment
 * files of processed messages older than retention.rawDays go. It runs on the
 * main connection in batches; a failure is logged and tried again the next day.
 */
function scheduleRetention(ctx: Context, log: Logger): { stop(): Promise<void> } {
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
      log.error({ err }, 'retention failed; it runs again in a day (or run `mailroom purge`)');
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
