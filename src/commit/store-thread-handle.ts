// The main thread's handle on the store thread: the BatchWriter the group
// committer uses, and the ports handed to pipeline threads. A dead store thread
// turns into refused messages (451), never into sessions waiting forever.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { StorageError } from '../errors.ts';
import type { BatchWriter, CommitOutcome } from './batch-writer.ts';
import type { BatchUpsertResult, CandidateInput } from '../store/candidates.ts';
import type { NewMessage } from '../store/messages.ts';
import type { ImportBatch, ImportOutcome } from './inbox-import.ts';
import { StoreClient } from './store-client.ts';
import { EVENTS_WRITTEN } from './store-protocol.ts';
import type { StoreThreadData } from './store-thread.ts';

// Under `node src/...` this file is .ts, in the build it is .js: the thread's file follows suit.
const threadFile = new URL(`./store-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** A buffer that owns its whole ArrayBuffer can be moved to the thread instead of copied. */
function transferable(buffer: Buffer | null): ArrayBuffer | null {
  if (!buffer) return null;
  const whole = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength;
  return whole && buffer.buffer instanceof ArrayBuffer ? buffer.buffer : null;
}

export class StoreThread implements BatchWriter {
  private readonly data: StoreThreadData;
  private readonly onExit: (err: Error) => void;
  private worker: Worker | null = null;
  private client: StoreClient | null = null;
  private closing = false;

  /** Hears that a transaction wrote events (set by the server: it wakes the webhook deliveries). */
  onEvents: () => void = () => undefined;

  /** `onExit` hears of a thread that died; the next request starts a new one. */
  constructor(data: StoreThreadData, onExit: (err: Error) => void) {
    this.data = data;
    this.onExit = onExit;
  }

  private ensure(): { worker: Worker; client: StoreClient } {
    if (this.worker && this.client) return { worker: this.worker, client: this.client };
    const worker = new Worker(threadFile, { workerData: this.data, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    const client = new StoreClient(worker);
    worker.on('message', (message: unknown) => {
      if (message === EVENTS_WRITTEN) this.onEvents();
    });
    let failure: Error | null = null;
    worker.on('error', (err) => (failure = err));
    worker.on('exit', (code) => {
      const err = failure ?? new Error(`store thread exited with code ${code}`);
      client.close(err);
      if (this.worker === worker) {
        this.worker = null;
        this.client = null;
        if (!this.closing) this.onExit(err);
      }
    });
    this.worker = worker;
    this.client = client;
    return { worker, client };
  }

  async write(batch: NewMessage[], nowMs: number): Promise<CommitOutcome[]> {
    const transfer = batch.map((m) => transferable(m.raw)).filter((b): b is ArrayBuffer => b !== null);
    try {
      return await this.ensure().client.request({ op: 'intake', batch, nowMs }, transfer);
    } catch (err) {
      const full = err instanceof StorageError && err.full;
      return batch.map(() => ({ ok: false, full, error: (err as Error).message }));
    }
  }

  /**
   * A chunk of a candidate sync, written by the store thread in its next
   * transaction beside the intake: the API's writes then never wait for (or
   * hold) the write lock intake's commits need.
   */
  upsertCandidates(tenant: string, rows: CandidateInput[]): Promise<BatchUpsertResult> {
    return this.ensure().client.request({ op: 'upsertCandidates', tenant, rows });
  }

  /** Messages read from an inbox, stored with how far the folder was read, in the next transaction. */
  importMessages(batch: ImportBatch): Promise<ImportOutcome> {
    const transfer = batch.messages.map((m) => transferable(m.message.raw)).filter((b): b is ArrayBuffer => b !== null);
    return this.ensure().client.request({ op: 'import', batch }, transfer);
  }

  /** A port to the store thread for a pipeline thread (its job queue). */
  connectPipeline(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.ensure().worker.postMessage({ op: 'connect', port: port2 }, [port2]);
    return port1;
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close');
    });
  }
}
