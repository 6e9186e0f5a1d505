// The main thread's handle on the pipeline worker thread: each start gets a
// fresh port to the store thread; restarted if it dies (its jobs are durable;
// the new thread takes them up once their lease runs out).
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessagePort, WorkerOptions } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import type { Logger, LogLevel } from '../log.ts';
import { SupervisedThread } from '../supervised-thread.ts';

const threadFile = new URL(`./worker-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export interface PipelineThreadOptions {
  dataDir: string;
  settings: Config['worker'];
  dns: Config['dns'];
  /** To open the reply-token keys. */
  secret: Config['secret'];
  mta: string;
  logLevel: LogLevel;
  /** A fresh port to the store thread for each thread started. */
  connectStore: () => MessagePort;
}

export class PipelineThread extends SupervisedThread {
  private readonly options: PipelineThreadOptions;

  constructor(options: PipelineThreadOptions, log: Logger) {
    super('pipeline worker', log);
    this.options = options;
  }

  protected spawn(): { file: URL; options: WorkerOptions } {
    const { dataDir, settings, dns, secret, mta, logLevel } = this.options;
    const store = this.options.connectStore();
    return { file: threadFile, options: { workerData: { dataDir, settings, dns, secret, mta, logLevel, store }, transferList: [store], resourceLimits: { maxYoungGenerationSizeMb: 4 } } };
  }
}
