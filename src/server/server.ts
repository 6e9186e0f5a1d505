// The running server: the SMTP listener on the main thread, the store thread
// that commits everything (group commit), and the pipeline and relay threads,
// each started when work is waiting and stopped when idle (on-demand-thread.ts).
// `mailroom serve`, the tests and the benchmarks all start it through here.
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { loadZoneFile, ZoneFileError } from '../dns/index.ts';
import { SHARED_KEY_NEEDED, type Context } from '../context.ts';
import type { Logger } from '../log.ts';
import { UsageError } from '../errors.ts';
import { Metrics } from '../http/metrics.ts';
import { startHttpServer, type HttpServer } from '../http/server.ts';
// The thread handle only: the pipeline's own modules (mailparser, ...) load in its thread.
import { PipelineThread } from '../pipeline/pipeline-thread-handle.ts';
import { OnDemandThread } from '../runtime/on-demand-thread.ts';
import { ThreadGroup } from '../runtime/thread-group.ts';
import { loadTlsMaterial, SmtpListener } from '../smtp/index.ts';
import { RelayThread } from '../relay/relay-thread-handle.ts';
import { relayWorkDueAt } from '../relay/work-due.ts';
import { announceWork, CHANNELS, ensureSpoolDir, type BatchUpsertResult, type CandidateInput } from '../store/index.ts';
import { diskWatermark } from './disk-watermark.ts';
import { acquireInstanceLock, InstanceLockError, type InstanceLock } from './instance-lock.ts';
import { GroupCommitter, PostgresIntake, StoreThread, type BatchWriter, type ImportBatch, type ImportOutcome } from '../commit/index.ts';
import { InboxIntake } from '../inbox/index.ts';

/** Where accepted mail, imported mail and bulk candidate writes go: the store thread (SQLite) or the pool (PostgreSQL). */
type IntakeWriter = BatchWriter & {
  upsertCandidates(tenant: string, rows: CandidateInput[]): Promise<BatchUpsertResult>;
  importMessages(batch: ImportBatch): Promise<ImportOutcome>;
};

export interface RunningServer {
  smtp: AddressInfo;
  /** The HTTP API's address (null when http.enabled is false). */
  http: AddressInfo | null;
  listener: SmtpListener;
  /** Whether the pipeline threads are running now (they run while there is work). */
  readonly pipelineRunning: boolean;
  /** How many pipeline threads run now (pipeline.threads while there is work, else none). */
  readonly pipelineThreads: number;
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

/** A broken zone file stops the start here, with its name, not later in a thread. */
function checkZoneFile(zoneFile: string): void {
  if (!zoneFile) return;
  try {
    loadZoneFile(zoneFile);
  } catch (err) {
    if (err instanceof ZoneFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** What a process that stopped without finishing left behind: spool files never acknowledged, jobs and sends under way. */
async function recoverFromLastRun(ctx: Context): Promise<void> {
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

/** pipeline.threads, where 0 is the machine's cores minus one (the main thread, with SMTP and the store thread, keeps one). */
export function pipelineThreadCount(configured: number): number {
  return configured > 0 ? configured : Math.max(1, availableParallelism() - 1);
}

/** The pipeline's threads, started together when committed work waits and intake is quiet. */
function pipelineOnDemand(ctx: Context, store: StoreThread | null, intakeBusy: () => boolean): { pipeline: ThreadGroup; demand: OnDemandThread } {
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

/** Where people reach the API: http.publicUrl, else the address it listens on. */
function publicUrlOf(settings: { publicUrl: string }, address: AddressInfo | null): string {
  if (settings.publicUrl) return settings.publicUrl.replace(/\/$/, '');
  if (!address) return '';
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/** The relay thread (outbound mail, webhooks): always running with relay.idleStopMs 0, else while something is due. */
function relayOnDemand(ctx: Context, publicUrl: string): { relay: RelayThread; demand: OnDemandThread | null } {
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
    onError: (err) => log.error({ err }, 'could not read when relay work is due; looking again at the next poll'),
    onChange: (change, detail) =>
      log.info(
        detail,
        change === 'started' ? 'relay thread started: mail to send or webhooks to deliver' : 'relay thread stopped: nothing to send for relay.idleStopMs',
      ),
  });
  demand.begin();
  return { relay, demand };
}

/** The HTTP API, or a start that stops with what to change when its address is taken. */
async function startApi(ctx: Context, store: IntakeWriter, metrics: Metrics, ready: () => boolean): Promise<HttpServer | null> {
  const { http } = ctx.config;
  if (!http.enabled) return null;
  const upsertCandidates = (tenant: string, rows: CandidateInput[]) => store.upsertCandidates(tenant, rows);
  return startHttpServer({ ctx, metrics, ready, upsertCandidates }, http.host, http.port).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(
      `cannot listen for HTTP on ${http.host}:${http.port} (${err.code ?? err.message}); choose another http.host/http.port (MAILROOM_HTTP_HOST, MAILROOM_HTTP_PORT), or set http.enabled to false`,
    );
  });
}

/** The SMTP listener, listening; an address that is taken or not ours says which settings to change. */
async function listenSmtp(ctx: Context, committer: GroupCommitter, metrics: Metrics): Promise<{ listener: SmtpListener; smtp: AddressInfo; tls: string }> {
  const { config } = ctx;
  const smtpLog = ctx.log.child({ subsystem: 'smtp' });
  const tls = await loadTlsMaterial(config.smtp.tls, config.data.dir, config.smtp.hostname, smtpLog);
  const listener = new SmtpListener({
    settings: config.smtp,
    dataDir: config.data.dir,
    tenants: ctx.routes,
    committer,
    tls,
    log: smtpLog,
    now: () => ctx.clock.now(),
    metrics: metrics.smtp,
    diskLow: diskWatermark(config.data.dir, config.data.minFreeMb).low,
  });
  const smtp = await listener.listen().catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      throw new UsageError(
        `cannot listen on ${config.smtp.host}:${config.smtp.port} (${err.code}); choose another smtp.host/smtp.port (MAILROOM_SMTP_HOST, MAILROOM_SMTP_PORT)`,
      );
    }
    throw err;
  });
  return { listener, smtp, tls: tls.source };
}

export async function startServer(ctx: Context, options: { worker?: boolean; relay?: boolean } = {}): Promise<RunningServer> {
  const { config, log } = ctx;
  checkZoneFile(config.dns.zoneFile);
  if (ctx.backend === 'postgres' && !config.secret.key) throw new UsageError(SHARED_KEY_NEEDED);
  const lock = lockDataDir(config.data.dir);
  let store: IntakeWriter | null = null;
  let http: HttpServer | null = null;
  try {
    await recoverFromLastRun(ctx);
    let pipeline: ThreadGroup | null = null;
    const storeThread =
      ctx.backend === 'sqlite'
        ? new StoreThread({ dataDir: config.data.dir, maxSizeMb: config.data.maxSizeMb }, (err) => {
            log.error({ err }, 'the store thread failed: messages in flight were refused with 451; starting a new one');
            void pipeline?.restart();
          })
        : null;
    store = storeThread ?? new PostgresIntake(ctx, config.data.dir);
    let listener: SmtpListener | null = null;
    const onDemand = options.worker === false ? null : pipelineOnDemand(ctx, storeThread, () => (listener?.transactionsInFlight ?? 0) > 0);
    pipeline = onDemand?.pipeline ?? null;
    const committer = new GroupCommitter(store, {
      windowMs: config.data.groupCommitWindowMs,
      maxMessages: config.data.groupCommitMaxMessages,
      nowMs: () => ctx.clock.now().getTime(),
      onCommitted: () => onDemand?.demand.committed(),
    });
    const metrics = new Metrics(ctx.gauges);
    let stopping: Promise<void> | null = null;
    http = await startApi(ctx, store, metrics, () => stopping === null);
    const smtpStarted = await listenSmtp(ctx, committer, metrics);
    listener = smtpStarted.listener;
    onDemand?.demand.begin();
    const relayStarted = options.relay === false ? null : relayOnDemand(ctx, publicUrlOf(config.http, http?.address ?? null));
    const relay = relayStarted?.relay ?? null;
    // A decision's event or a queued send is handled at once: a running relay thread is told, a stopped one is started.
    const relayWork = (): void => {
      if (relay?.running) relay.notify('wake');
      else relayStarted?.demand?.committed();
    };
    if (storeThread) storeThread.onEvents = relayWork;
    // On PostgreSQL any node may have committed the work: every node hears of it and shares it.
    ctx.notifications?.on(CHANNELS.work, (kind) => {
      if (kind === 'events' || kind === 'outbound') return relayWork();
      onDemand?.demand.committed();
      if (pipeline?.running) pipeline.notify('wake');
    });
    // Written here (an API send, a manual assignment, a replay): on PostgreSQL every node's relay is told, itself included.
    const stopHearingWork = ctx.sql.work.on((kind) => {
      if (kind === 'jobs') return;
      if (ctx.backend === 'sqlite') return relayWork();
      announceWork(ctx, kind).catch((err: unknown) => log.warn({ err }, 'could not tell the nodes of new relay work; their relays find it at the next poll'));
    });
    const running = { store: store as IntakeWriter, listener, committer };
    // Read from the inboxes over IMAP into the same store, once SMTP listens.
    const inboxes = config.inboxes.enabled
      ? new InboxIntake(ctx, { store: (batch) => running.store.importMessages(batch), stored: () => onDemand?.demand.committed() })
      : null;
    inboxes?.start();
    const retention = scheduleRetention(ctx, log);
    metrics.watchThreads(() => ({ ...(pipeline ? { pipeline: pipeline.running } : {}), ...(relay ? { relay: relay.running } : {}) }));
    await announceListening(ctx, smtpStarted, http);
    return {
      smtp: smtpStarted.smtp,
      http: http?.address ?? null,
      listener,
      get pipelineRunning() {
        return pipeline?.running ?? false;
      },
      get pipelineThreads() {
        return pipeline?.runningCount ?? 0;
      },
      get relayRunning() {
        return relay?.running ?? false;
      },
      stop() {
        // In the order that loses nothing: no new work in, what was accepted committed, then the threads and the store.
        stopping ??= stopInOrder([
          () => retention.stop(),
          () => stopHearingWork(),
          () => http?.close(),
          () => inboxes?.stop(),
          () => running.listener.stop(),
          () => running.committer.drain(),
          () => onDemand?.demand.stop(),
          () => (relayStarted?.demand ?? relay)?.stop(),
          () => running.store.close(),
          () => ctx.close(),
          () => lock.release(),
          () => log.info('mailroom stopped'),
        ]);
        return stopping;
      },
    };
  } catch (err) {
    // Whatever started before the failure stops again, so the next start finds the data dir free.
    await http?.close();
    await store?.close();
    lock.release();
    throw err;
  }
}

async function stopInOrder(steps: (() => unknown)[]): Promise<void> {
  for (const step of steps) await step();
}

/** Where it listens, and a warning when no tenant exists yet (every recipient would be refused). */
async function announceListening(ctx: Context, smtp: { smtp: AddressInfo; tls: string }, http: HttpServer | null): Promise<void> {
  const { log, config } = ctx;
  log.info({ host: smtp.smtp.address, port: smtp.smtp.port, dataDir: config.data.dir, tls: smtp.tls }, 'mailroom listening for SMTP');
  if (http) log.info({ host: http.address.address, port: http.address.port }, 'mailroom HTTP API listening');
  if ((await ctx.tenants.list()).length === 0) {
    log.warn(
      'no tenants yet, so every recipient is refused: add one with `npx mailroom tenants add <slug> --domain D --reply-domain R` (in the checkout; `mailroom` once linked)',
    );
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
