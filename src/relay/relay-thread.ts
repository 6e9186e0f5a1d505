// The relay's thread: its own event loop and its own database connection, so
// TLS handshakes with customers' servers, webhook calls and the queues' small
// writes never delay an SMTP reply or the store thread's group commits. It
// sends the outbound queue (Relay) and delivers webhooks (WebhookDispatcher).
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { createLogger, type LogLevel } from '../log.ts';
import { keyringSource, type Keyring } from '../secrets/keyring.ts';
import { openDatabase } from '../store/database.ts';
import { OutboundStore } from '../store/outbound.ts';
import { WebhookStore } from '../store/webhooks.ts';
import type { ThreadIdle } from '../supervised-thread.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { Relay } from './sender.ts';

export interface RelayThreadData {
  dataDir: string;
  settings: Config['relay'];
  webhooks: Config['webhooks'];
  secret: Config['secret'];
  hostname: string;
  logLevel: LogLevel;
}

const port = parentPort;
if (!port) throw new Error('relay-thread.ts runs as a worker thread');
const data = workerData as RelayThreadData;
// A power cut may lose the last "sent" marks, never a queued message (queued by
// a FULL commit): at worst a message is sent once more, with the same Message-ID.
const db = openDatabase(data.dataDir, { synchronous: 'NORMAL' });
const log = createLogger(data.logLevel).child({ subsystem: 'relay' });
// Reloaded when the key file changes, so a `mailroom keys rotate` while the server runs is picked up.
const keys = keyringSource({ dataDir: data.dataDir, ...data.secret }, { create: true });
const keyring = (): Keyring => keys() as Keyring;
const relay = new Relay({
  db,
  keyring,
  settings: data.settings,
  hostname: data.hostname,
  log,
  nowMs: Date.now,
});
relay.start();
const dispatcher = new WebhookDispatcher({
  db,
  keyring,
  settings: data.webhooks,
  log: createLogger(data.logLevel).child({ subsystem: 'webhooks' }),
  nowMs: Date.now,
});
dispatcher.start();

// Nothing to send or deliver for relay.idleStopMs: the main thread stops this
// thread and starts a new one when work falls due (on-demand-thread.ts).
if (data.settings.idleStopMs > 0) {
  const outbound = new OutboundStore(db);
  const deliveries = new WebhookStore(db);
  let lastBusyAt = Date.now();
  let reported = false;
  setInterval(
    () => {
      const now = Date.now();
      const dues = [outbound.nextDueAt(), deliveries.nextDueAt()].filter((d): d is number => d !== null);
      const due = dues.length > 0 ? Math.min(...dues) : null;
      if (relay.busy || dispatcher.busy || (due !== null && due <= now)) {
        lastBusyAt = now;
        reported = false;
      } else if (!reported && now - lastBusyAt >= data.settings.idleStopMs) {
        reported = true;
        port.postMessage({ idle: true, nextDueAt: due } satisfies ThreadIdle);
      }
    },
    Math.min(data.settings.pollIntervalMs, data.settings.idleStopMs),
  ).unref();
}

port.on('message', (message: 'stop' | 'wake') => {
  if (message === 'wake') return relay.wake();
  void Promise.all([relay.stop(), dispatcher.stop()]).then(() => {
    db.close();
    log.flush(() => port.close());
  });
});
