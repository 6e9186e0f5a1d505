// The main thread's handle on the pipeline worker thread: each start gets a
// fresh port to the store thread; restarted if it dies (its jobs are durable;
// the new thread takes them up once their lease runs out). When it starts and
// stops is on-demand-thread.ts's business.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessagePort, WorkerOptions } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import { SupervisedThread } from '../runtime/supervised-thread.ts';
import type { PipelineThreadData } from './pipeline-thread.ts';

const threadFile = new URL(`./pipeline-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** What the thread is started with (pipeline-thread.ts), but a fresh store port per start. */
export type PipelineThreadOptions = Omit<PipelineThreadData, 'store'> & {
  /** SQLite: a port to the store thread. Null on PostgreSQL. */
  connectStore: (() => MessagePort) | null;
};

export class PipelineThread extends SupervisedThread {
  private readonly options: PipelineThreadOptions;

  constructor(options: PipelineThreadOptions, log: Logger) {
    super('pipeline worker', log);
    this.options = options;
  }

  protected spawn(): { file: URL; options: WorkerOptions } {
    const { connectStore, ...rest } = this.options;
    const store = connectStore?.() ?? null;
    const workerData: PipelineThreadData = { ...rest, store };
    return { file: threadFile, options: { workerData, transferList: store ? [store] : [], resourceLimits: { maxYoungGenerationSizeMb: 4 } } };
  }
}
