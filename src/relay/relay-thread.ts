// The relay's thread: its own event loop and its own database connection, so
// TLS handshakes with customers' servers, webhook calls and the queues' small
// writes never delay an SMTP reply or the store thread's group commits. It
// sends the outbound queue (Relay) and delivers webhooks (WebhookDispatcher).
import { parentPort, workerData } from 'node:worker_threads';
import { createResolver } from '../dns/index.ts';
import type { Config } from '../config/index.ts';
import { createLogger, type LogLevel } from '../log.ts';
import { keyringSource, type Keyring } from '../secrets/keyring.ts';
import { openThreadStorage } from '../store/thread-storage.ts';
import { IdleReporter, type ThreadIdle } from '../runtime/supervised-thread.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { Relay } from './sender.ts';
import { relayWorkDueAt } from './work-due.ts';

export interface RelayThreadData {
  dataDir: string;
  settings: Config['relay'];
  webhooks: Config['webhooks'];
  dns: Config['dns'];
  secret: Config['secret'];
  hostname: string;
  /** Where the API is reached from outside: signed attachment URLs in webhooks start with it. */
  publicUrl: string;
  logLevel: LogLevel;
  /** PostgreSQL (empty: the SQLite file in dataDir), and the connections this thread may hold. */
  databaseUrl: string;
  poolSize: number;
  /** worker.leaseMs: how soon another node takes over what this one was sending when it died. */
  leaseMs: number;
}

const port = parentPort;
if (!port) throw new Error('relay-thread.ts runs as a worker thread');
const data = workerData as RelayThreadData;
// A power cut may lose the last "sent" marks, never a queued message (queued by
// a FULL commit): at worst a message is sent once more, with the same Message-ID.
const storage = await openThreadStorage({
  dataDir: data.dataDir,
  databaseUrl: data.databaseUrl,
  poolSize: data.poolSize,
  synchronous: 'NORMAL',
  applicationName: 'mailroom relay',
});
const repositories = storage.repositories;
const log = createLogger(data.logLevel).child({ subsystem: 'relay' });
// Reloaded when the key file changes, so a `mailroom keys rotate` while the server runs is picked up.
const keys = keyringSource({ dataDir: data.dataDir, ...data.secret }, { create: true });
const keyring = (): Keyring => keys() as Keyring;
const resolver = createResolver(data.dns);
const relay = new Relay({
  repositories,
  keyring,
  settings: data.settings,
  hostname: data.hostname,
  log,
  nowMs: Date.now,
  resolver,
  leaseMs: data.leaseMs,
});
relay.start();
const dispatcher = new WebhookDispatcher({
  repositories,
  keyring,
  settings: data.webhooks,
  publicUrl: data.publicUrl,
  resolver,
  log: createLogger(data.logLevel).child({ subsystem: 'webhooks' }),
  nowMs: Date.now,
});
dispatcher.start();
// What this thread writes itself (an account's status event, a message handed back) is looked at now too.
storage.repositories.sql.work.on((kind) => (kind === 'outbound' ? relay.wake() : kind === 'events' ? dispatcher.wake() : undefined));

// Nothing to send or deliver for relay.idleStopMs: the main thread stops this
// thread and starts a new one when work falls due (on-demand-thread.ts).
if (data.settings.idleStopMs > 0) {
  const workDueAt = relayWorkDueAt(repositories);
  const idle = new IdleReporter(data.settings.idleStopMs, Date.now, (nextDueAt) => port.postMessage({ idle: true, nextDueAt } satisfies ThreadIdle));
  setInterval(
    () =>
      void workDueAt().then(
        (due) => {
          if (relay.busy || dispatcher.busy || (due !== null && due <= Date.now())) idle.busy();
          else idle.quiet(due);
        },
        // Unreadable for now: stay up, and ask again at the next tick.
        () => idle.busy(),
      ),
    Math.min(data.settings.pollIntervalMs, data.settings.idleStopMs),
  ).unref();
}

port.on('message', (message: 'stop' | 'wake') => {
  // Work was queued (outbound mail) or events written (a decision): both look now.
  if (message === 'wake') {
    relay.wake();
    return dispatcher.wake();
  }
  void Promise.all([relay.stop(), dispatcher.stop()])
    .then(() => storage.close())
    .then(() => log.flush(() => port.close()));
});
