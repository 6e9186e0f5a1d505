// Group commit for accepted messages. One batch is being written at a time;
// every message whose DATA completes meanwhile joins the next one, so one fsync
// covers many messages and throughput is not bound by the disk's sync rate. The
// promise of each message settles only after its transaction committed: the
// caller may answer 250 then, and not before.
import { StorageError } from '../errors.ts';
import type { BatchWriter } from './batch-writer.ts';
import type { NewMessage } from '../store/messages.ts';

interface Pending {
  message: NewMessage;
  resolve: () => void;
  reject: (err: StorageError) => void;
}

export interface GroupCommitOptions {
  /** Extra wait before a batch is written when nothing is in flight (0: the next turn of the event loop). */
  windowMs: number;
  maxMessages: number;
  nowMs: () => number;
  /** Called after each commit with the ids that were stored (e.g. to wake the worker). */
  onCommitted?: (ids: readonly string[]) => void;
}

export class GroupCommitter {
  private readonly writer: BatchWriter;
  private readonly options: GroupCommitOptions;
  private pending: Pending[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | null = null;

  constructor(writer: BatchWriter, options: GroupCommitOptions) {
    this.writer = writer;
    this.options = options;
  }

  commit(message: NewMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return; // the batch in flight picks these up when it is done
    this.scheduled = true;
    const go = (): void => {
      this.scheduled = false;
      this.writeNext();
    };
    if (this.options.windowMs === 0) setImmediate(go);
    else setTimeout(go, this.options.windowMs);
  }

  private writeNext(): void {
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.options.maxMessages);
    this.inFlight = this.writer
      .write(
        batch.map((p) => p.message),
        this.options.nowMs(),
      )
      .then(
        (outcomes) => {
          const stored: string[] = [];
          batch.forEach((p, i) => {
            const outcome = outcomes[i] ?? { ok: false, full: false, error: 'no outcome' };
            if (outcome.ok) {
              stored.push(p.message.id);
              p.resolve();
            } else p.reject(new StorageError(outcome.error, { full: outcome.full }));
          });
          if (stored.length > 0) this.options.onCommitted?.(stored);
        },
        (err: unknown) => {
          for (const p of batch) p.reject(new StorageError(err instanceof Error ? err.message : String(err), { full: false }));
        },
      )
      .finally(() => {
        this.inFlight = null;
        this.writeNext();
      });
  }

  /** Resolves once nothing is waiting or being written; for shutdown. */
  async drain(): Promise<void> {
    while (this.inFlight || this.pending.length > 0) {
      if (!this.inFlight) this.writeNext();
      await this.inFlight;
    }
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
