// The main thread's handle on the pipeline worker thread: start it, wake it when
// messages were committed, stop it on shutdown, and start a new one if it dies
// (its jobs are durable; the new thread takes them up once their lease runs out).
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import type { PipelineThreadData } from './worker-thread.ts';

const threadFile = new URL(`./worker-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export class PipelineThread {
  private readonly data: PipelineThreadData;
  private readonly log: Logger;
  private thread: Thread | null = null;
  private stopping = false;
  private restarts = 0;

  constructor(data: PipelineThreadData, log: Logger) {
    this.data = data;
    this.log = log;
  }

  start(): void {
    if (this.thread || this.stopping) return;
    const thread = new Thread(threadFile, { workerData: this.data });
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

  wake(): void {
    this.thread?.postMessage('wake');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const thread = this.thread;
    if (!thread) return;
    await new Promise<void>((resolve) => {
      thread.once('exit', () => resolve());
      thread.postMessage('stop');
    });
    this.thread = null;
  }
}
