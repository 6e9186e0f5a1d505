// The main thread's handle on the pipeline worker thread: start it with a port
// to the store thread, stop it on shutdown, and start a new one if it dies (its
// jobs are durable; the new thread takes them up once their lease runs out).
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker as Thread, type MessagePort } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import type { Logger, LogLevel } from '../log.ts';

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

export class PipelineThread {
  private readonly options: PipelineThreadOptions;
  private readonly log: Logger;
  private thread: Thread | null = null;
  private stopping = false;
  private restarts = 0;

  constructor(options: PipelineThreadOptions, log: Logger) {
    this.options = options;
    this.log = log;
  }

  start(): void {
    if (this.thread || this.stopping) return;
    const { dataDir, settings, dns, secret, mta, logLevel } = this.options;
    const store = this.options.connectStore();
    const thread = new Thread(threadFile, { workerData: { dataDir, settings, dns, secret, mta, logLevel, store }, transferList: [store], resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    thread.on('error', (err) => this.log.error({ err }, 'pipeline worker thread failed'));
    thread.on('exit', (code) => {
      if (this.thread !== thread) return;
      this.thread = null;
      if (this.stopping) return;
      const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
      this.log.error({ code, restartInMs: delay }, 'pipeline worker thread exited; starting a new one');
      setTimeout(() => this.start(), delay).unref();
    });
    this.thread = thread;
  }

  /** Stops the thread and starts a new one (e.g. after the store thread was replaced). */
  async restart(): Promise<void> {
    await this.stop();
    this.stopping = false;
    this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const thread = this.thread;
    if (!thread) return;
    this.thread = null;
    await new Promise<void>((resolve) => {
      thread.once('exit', () => resolve());
      thread.postMessage('stop');
    });
  }
}
