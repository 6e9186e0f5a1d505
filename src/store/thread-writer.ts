// The main thread's side of the writer thread: sends batches, matches replies,
// and turns a dead thread into refusals (451) instead of hanging sessions.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BatchWriter, CommitOutcome } from './batch-writer.ts';
import type { NewMessage } from './messages.ts';

interface Waiting {
  resolve: (outcomes: CommitOutcome[]) => void;
  size: number;
}

// Under `node src/...` this file is .ts, in the build it is .js: the thread's file follows suit.
const threadFile = new URL(`./writer-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** A buffer that owns its whole ArrayBuffer can be moved to the thread instead of copied. */
function transferable(buffer: Buffer): ArrayBuffer | null {
  const whole = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength;
  return whole && buffer.buffer instanceof ArrayBuffer ? buffer.buffer : null;
}

export class ThreadBatchWriter implements BatchWriter {
  private readonly dataDir: string;
  private readonly maxSizeMb: number;
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;
  private readonly onThreadError: (err: Error) => void;

  constructor(dataDir: string, maxSizeMb: number, onThreadError: (err: Error) => void) {
    this.dataDir = dataDir;
    this.maxSizeMb = maxSizeMb;
    this.onThreadError = onThreadError;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(threadFile, { workerData: { dataDir: this.dataDir, maxSizeMb: this.maxSizeMb } });
    worker.on('message', (reply: { seq: number; outcomes: CommitOutcome[] }) => {
      const waiting = this.waiting.get(reply.seq);
      this.waiting.delete(reply.seq);
      waiting?.resolve(reply.outcomes);
    });
    const fail = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.onThreadError(err);
      for (const [seq, waiting] of this.waiting) {
        this.waiting.delete(seq);
        waiting.resolve(Array.from({ length: waiting.size }, () => ({ ok: false, full: false, error: `writer thread failed: ${err.message}` })));
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`writer thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  write(batch: NewMessage[], nowMs: number): Promise<CommitOutcome[]> {
    const seq = ++this.seq;
    const transfer = batch.map((m) => transferable(m.raw)).filter((b): b is ArrayBuffer => b !== null);
    return new Promise((resolve) => {
      this.waiting.set(seq, { resolve, size: batch.length });
      this.thread().postMessage({ seq, batch, nowMs }, transfer);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close');
    });
  }
}
