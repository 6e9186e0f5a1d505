// The main thread's handle on the relay thread (outbound mail and webhooks):
// started, restarted if it dies, stopped with the server.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import { SupervisedThread } from '../runtime/supervised-thread.ts';
import type { RelayThreadData } from './relay-thread.ts';

const threadFile = new URL(`./relay-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export class RelayThread extends SupervisedThread {
  private readonly data: RelayThreadData;

  constructor(data: RelayThreadData, log: Logger) {
    super('relay', log);
    this.data = data;
  }

  protected spawn(): { file: URL; options: WorkerOptions } {
    // A small young generation: the relay's garbage is small and short-lived.
    return { file: threadFile, options: { workerData: this.data, resourceLimits: { maxYoungGenerationSizeMb: 4 } } };
  }
}
