// The main thread's handle on the relay thread: start, stop, and start a new one
// if it dies (the outbound queue is durable; leases hand unfinished sends over).
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import type { RelayThreadData } from './relay-thread.ts';

const threadFile = new URL(`./relay-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export class RelayThread {
  private readonly data: RelayThreadData;
  private readonly log: Logger;
  private thread: Thread | null = null;
  private stopping = false;
  private restarts = 0;

  constructor(data: RelayThreadData, log: Logger) {
    this.data = data;
    this.log = log;
  }

  start(): void {
    if (this.thread || this.stopping) return;
    const thread = new Thread(threadFile, { workerData: this.data });
    thread.on('error', (err) => this.log.error({ err }, 'relay thread failed'));
    thread.on('exit', (code) => {
      if (this.thread !== thread) return;
      this.thread = null;
      if (this.stopping) return;
      const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
      this.log.error({ code, restartInMs: delay }, 'relay thread exited; starting a new one');
      setTimeout(() => this.start(), delay).unref();
    });
    this.thread = thread;
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
