// The pipeline worker's thread: its own event loop, so parsing and (later)
// DNS-bound authentication never delay an SMTP reply. It reads raw messages on
// a read-only connection and sends every write (claims, results) to the store
// thread through its port, so it never competes for the write lock.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { domainList } from '../auth/index.ts';
import { createResolver } from '../dns/index.ts';
import { createLogger, type LogLevel } from '../log.ts';
import { openThreadStorage } from '../store/thread-storage.ts';
import { createPipelineSources } from '../store/repositories.ts';
import { keyringSource } from '../secrets/keyring.ts';
import { matchMessage } from './match-stage.ts';
import { RemoteJobQueue, StoreClient } from '../commit/store-client.ts';
import { LocalJobQueue, type JobQueue } from '../commit/job-queue.ts';
import { GroupedCompletions } from '../commit/grouped-completions.ts';
import { heapGuard } from './heap-guard.ts';
import type { ThreadIdle } from '../runtime/supervised-thread.ts';
import { Worker } from './worker.ts';

/**
 * Under a burst, accepting mail comes first: the pipeline's backlog is durable
 * and drains when the burst is over. On Linux a thread is a task with its own
 * nice value, found through /proc/thread-self; elsewhere this does nothing.
 */
function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + 10));
  } catch {
    // not Linux, or not permitted: run at normal priority
  }
}

export interface PipelineThreadData {
  dataDir: string;
  settings: Config['worker'];
  dns: Config['dns'];
  secret: Config['secret'];
  /** Our host name, for Authentication-Results. */
  mta: string;
  auth: Config['auth'];
  logLevel: LogLevel;
  /** SQLite: the port to the store thread, which owns the job queue. Null on PostgreSQL, where the thread claims jobs itself. */
  store: MessagePort | null;
  databaseUrl: string;
  poolSize: number;
}

const port = parentPort;
if (!port) throw new Error('pipeline-thread.ts runs as a worker thread');
const data = workerData as PipelineThreadData;
lowerThreadPriority();
// SQLite: a read-only connection of its own. PostgreSQL: a pool of its own, for lookups and job claims alike.
const storage = await openThreadStorage({
  dataDir: data.dataDir,
  databaseUrl: data.databaseUrl,
  poolSize: data.poolSize,
  readonly: true,
  applicationName: 'mailroom pipeline',
});
// The keyring is reloaded when the key file changes, so a key rotation needs no restart.
const { raw, match: lookups } = createPipelineSources(
  storage.repositories.sql,
  data.dataDir,
  keyringSource({ dataDir: data.dataDir, ...data.secret }, { create: false }),
);
const log = createLogger(data.logLevel).child({ subsystem: 'worker' });
let worker: Worker | null = null;
const store = data.store;
let queue: JobQueue;
if (store) {
  const client = new StoreClient(store, () => worker?.wake());
  store.on('close', () => client.close(new Error('the store thread went away')));
  queue = new RemoteJobQueue(client);
} else queue = new GroupedCompletions(new LocalJobQueue(storage.repositories, { announceEvents: false }), storage.repositories);
worker = new Worker({
  settings: data.settings,
  queue,
  readMessage: async (id) => await raw.readWithEnvelope(id),
  readMessages: async (ids) => await raw.readBatch(ids),
  pipeline: { resolver: createResolver(data.dns), mta: data.mta, dataDir: data.dataDir, trustedArcSealers: domainList(data.auth.trustedArcSealers) },
  match: (messageId, processed, message) => matchMessage(lookups, messageId, processed, message),
  log,
  nowMs: Date.now,
  afterMessage: heapGuard(data.settings.heapSoftLimitMb),
  // The main thread stops an idle pipeline thread, and starts one when work comes (on-demand-thread.ts).
  onIdle: (nextDueAt) => port.postMessage({ idle: true, nextDueAt } satisfies ThreadIdle),
});
worker.start();

port.on('message', (message: 'stop' | 'wake') => {
  // Work was committed (on PostgreSQL the main thread hears of it from any node).
  if (message === 'wake') return worker.wake();
  if (message !== 'stop') return;
  void worker
    .stop()
    .then(() => storage.close())
    .then(() => {
      store?.close();
      log.flush(() => port.close());
    });
});
