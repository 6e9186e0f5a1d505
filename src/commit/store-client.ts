// The client side of the store thread's protocol: numbered requests over a port
// (the Worker object on the main thread, a MessagePort in the pipeline thread),
// replies matched by number. A closed port fails every request still waiting.
import type { Job } from '../store/jobs.ts';
import type { JobQueue } from './job-queue.ts';
import type { ProcessedMessage } from '../store/messages.ts';
import { WORK_AVAILABLE, type StoreAnswer, type StoreAsk, type StoreOp, type StoreReply } from './store-protocol.ts';
import { StorageError } from '../errors.ts';

export interface PortLike {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
}

export class StoreClient {
  private readonly port: PortLike;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private seq = 0;
  private closedWith: Error | null = null;

  constructor(port: PortLike, onWork?: () => void) {
    this.port = port;
    port.on('message', (message) => {
      if (message === WORK_AVAILABLE) return onWork?.();
      const reply = message as StoreReply;
      const waiting = this.waiting.get(reply.seq);
      if (!waiting) return;
      this.waiting.delete(reply.seq);
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(new StorageError(reply.error, { full: reply.full }));
    });
  }

  /** Asks the store thread; the answer's type is the one its kind is answered with (store-protocol.ts). */
  request<K extends StoreOp>(request: StoreAsk<K>, transfer: readonly ArrayBuffer[] = []): Promise<StoreAnswer<K>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const seq = ++this.seq;
    return new Promise<StoreAnswer<K>>((resolve, reject) => {
      // The reply numbered seq answers this request, so its value is of this kind.
      this.waiting.set(seq, { resolve: resolve as (value: unknown) => void, reject });
      this.port.postMessage({ ...request, seq }, transfer);
    });
  }

  /** The other side is gone: every waiting and later request fails with this. */
  close(err: Error): void {
    this.closedWith = err;
    for (const [seq, waiting] of this.waiting) {
      this.waiting.delete(seq);
      waiting.reject(err);
    }
  }
}

/** The job queue of the store thread, as the pipeline thread sees it. */
export class RemoteJobQueue implements JobQueue {
  private readonly client: StoreClient;

  constructor(client: StoreClient) {
    this.client = client;
  }

  claim(nowMs: number, leaseMs: number, max: number): Promise<Job[]> {
    return this.client.request({ op: 'claim', nowMs, leaseMs, max });
  }
  complete(job: Job, summary: ProcessedMessage, nowMs: number): Promise<boolean> {
    return this.client.request({ op: 'complete', job, summary, nowMs });
  }
  fail(job: Job, error: string, nowMs: number): Promise<boolean> {
    return this.client.request({ op: 'fail', job, error, nowMs });
  }
  retryLater(job: Job, error: string, runAfterMs: number, nowMs: number): Promise<boolean> {
    return this.client.request({ op: 'retry', job, error, runAfterMs, nowMs });
  }
  nextDueAt(): Promise<number | null> {
    return this.client.request({ op: 'nextDueAt' });
  }
}
