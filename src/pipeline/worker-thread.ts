// The pipeline worker's thread: its own database connection and event loop, so
// parsing and (later) DNS-bound authentication never delay an SMTP reply. Its
// commits use synchronous=NORMAL: a result lost to a power cut is recomputed,
// because every stage is idempotent and the job is still pending.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { createLogger, type LogLevel } from '../log.ts';
import { JobStore, MessageStore, openDatabase } from '../store/index.ts';
import { Worker } from './worker.ts';

export interface PipelineThreadData {
  dataDir: string;
  settings: Config['worker'];
  logLevel: LogLevel;
}

const port = parentPort;
if (!port) throw new Error('worker-thread.ts runs as a worker thread');
const data = workerData as PipelineThreadData;
const db = openDatabase(data.dataDir, { synchronous: 'NORMAL' });
const log = createLogger(data.logLevel).child({ subsystem: 'worker' });
const worker = new Worker({ settings: data.settings, jobs: new JobStore(db), messages: new MessageStore(db), log, nowMs: Date.now });
worker.start();

port.on('message', (message: 'wake' | 'stop') => {
  if (message === 'wake') return worker.wake();
  void worker.stop().then(() => {
    db.close();
    log.flush(() => port.close());
  });
});
