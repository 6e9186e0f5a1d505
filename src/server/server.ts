// The running server: the SMTP listener on the main thread, the store thread
// that commits everything (group commit), and the pipeline and relay threads,
// each started when work is waiting and stopped when idle (on-demand-thread.ts).
// `mailroom serve`, the tests and the benchmarks all start it through here; the
// parts are in this folder by concern (start-checks, intake, threads, listeners,
// retention) and put together below.
import type { AddressInfo } from 'node:net';
import { SHARED_KEY_NEEDED, type Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { Metrics } from '../http/metrics.ts';
import type { HttpServer } from '../http/server.ts';
import type { ThreadGroup } from '../runtime/thread-group.ts';
import type { RelayThread } from '../relay/relay-thread-handle.ts';
import type { SmtpListener } from '../smtp/index.ts';
import { GroupCommitter } from '../commit/index.ts';
import { InboxIntake } from '../inbox/index.ts';
import { hearWork, openIntake, type IntakeWriter } from './intake.ts';
import { announceListening, listenSmtp, publicUrlOf, startApi } from './listeners.ts';
import { scheduleRetention } from './retention.ts';
import { checkZoneFile, lockDataDir, recoverFromLastRun } from './start-checks.ts';
import { beginPipeline, pipelineOnDemand, relayOnDemand } from './threads.ts';

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
    const opened = openIntake(ctx, (err) => {
      log.error({ err }, 'the store thread failed: messages in flight were refused with 451; starting a new one');
      void pipeline?.restart();
    });
    store = opened.store;
    let listener: SmtpListener | null = null;
    const onDemand = options.worker === false ? null : pipelineOnDemand(ctx, opened.storeThread, () => (listener?.transactionsInFlight ?? 0) > 0);
    pipeline = onDemand?.pipeline ?? null;
    const committer = new GroupCommitter(store, {
      windowMs: config.data.groupCommitWindowMs,
      maxMessages: config.data.groupCommitMaxMessages,
      nowMs: () => ctx.clock.now().getTime(),
      onCommitted: () => onDemand?.demand?.committed(),
    });
    const metrics = new Metrics(ctx.gauges);
    const state: { stopping: Promise<void> | null } = { stopping: null };
    http = await startApi(ctx, store, metrics, () => state.stopping === null);
    const smtpStarted = await listenSmtp(ctx, committer, metrics);
    listener = smtpStarted.listener;
    if (onDemand) beginPipeline(onDemand);
    const relayStarted = options.relay === false ? null : relayOnDemand(ctx, publicUrlOf(config.http, http?.address ?? null));
    const relay = relayStarted?.relay ?? null;
    const stopHearingWork = hearWork(ctx, { storeThread: opened.storeThread, pipeline: onDemand, relay: relayStarted });
    const running = { store, listener, committer };
    // Read from the inboxes over IMAP into the same store, once SMTP listens.
    const inboxes = config.inboxes.enabled
      ? new InboxIntake(ctx, { store: (batch) => running.store.importMessages(batch), stored: () => onDemand?.demand?.committed() })
      : null;
    inboxes?.start();
    const retention = scheduleRetention(ctx, log);
    metrics.watchThreads(() => ({ ...(pipeline ? { pipeline: pipeline.running } : {}), ...(relay ? { relay: relay.running } : {}) }));
    await announceListening(ctx, smtpStarted, http);
    // In the order that loses nothing: no new work in, what was accepted committed, then the threads and the store.
    const stopSteps = [
      () => retention.stop(),
      () => stopHearingWork(),
      () => http?.close(),
      () => inboxes?.stop(),
      () => running.listener.stop(),
      () => running.committer.drain(),
      () => (onDemand?.demand ?? pipeline)?.stop(),
      () => (relayStarted?.demand ?? relay)?.stop(),
      () => running.store.close(),
      () => ctx.close(),
      () => lock.release(),
      () => log.info('mailroom stopped'),
    ];
    return handOut({ smtp: smtpStarted.smtp, http: http?.address ?? null, listener, pipeline, relay }, state, stopSteps);
  } catch (err) {
    // Whatever started before the failure stops again, so the next start finds the data dir free.
    await http?.close();
    await store?.close();
    lock.release();
    throw err;
  }
}

/** The running server as its starter sees it: addresses, which threads run, and the one stop. */
function handOut(
  parts: { smtp: AddressInfo; http: AddressInfo | null; listener: SmtpListener; pipeline: ThreadGroup | null; relay: RelayThread | null },
  state: { stopping: Promise<void> | null },
  stopSteps: (() => unknown)[],
): RunningServer {
  const { pipeline, relay } = parts;
  return {
    smtp: parts.smtp,
    http: parts.http,
    listener: parts.listener,
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
      state.stopping ??= stopInOrder(stopSteps);
      return state.stopping;
    },
  };
}

async function stopInOrder(steps: (() => unknown)[]): Promise<void> {
  for (const step of steps) await step();
}
