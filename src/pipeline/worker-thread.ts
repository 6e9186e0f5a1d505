// The pipeline worker's thread: its own event loop, so parsing and (later)
// DNS-bound authentication never delay an SMTP reply. It reads raw messages on
// a read-only connection and sends every write (claims, results) to the store
// thread through its port, so it never competes for the write lock.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { createLogger, type LogLevel } from '../log.ts';
import { openDatabase } from '../store/database.ts';
import { MessageStore } from '../store/messages.ts';
import { RemoteJobQueue, StoreClient } from '../store/store-client.ts';
import { Worker } from './worker.ts';

export interface PipelineThreadData {
  dataDir: string;
  settings: Config['worker'];
  logLevel: LogLevel;
  store: MessagePort;
}

const port = parentPort;
if (!port) throw new Error('worker-thread.ts runs as a worker thread');
const data = workerData as PipelineThreadData;
const reader = openDatabase(data.dataDir, { readonly: true });
const messages = new MessageStore(reader);
const log = createLogger(data.logLevel).child({ subsystem: 'worker' });
let worker: Worker | null = null;
const client = new StoreClient(data.store, () => worker?.wake());
data.store.on('close', () => client.close(new Error('the store thread went away')));
worker = new Worker({ settings: data.settings, queue: new RemoteJobQueue(client), readRaw: (id) => messages.raw(id), log, nowMs: Date.now });
worker.start();

port.on('message', (message: 'stop') => {
  if (message !== 'stop') return;
  void worker.stop().then(() => {
    reader.close();
    data.store.close();
    log.flush(() => port.close());
  });
});
