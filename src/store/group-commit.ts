// Group commit for accepted messages. Every message whose DATA completes within
// the window shares one transaction, so one WAL fsync covers all of them and
// throughput is not bound by the disk's sync rate. The promise of each message
// settles only after that transaction committed: the caller may answer 250 then.
import { toStorageError, type StorageError } from '../errors.ts';
import type { MessageStore, NewMessage } from './messages.ts';

interface Pending {
  message: NewMessage;
  resolve: () => void;
  reject: (err: StorageError) => void;
}

export interface GroupCommitOptions {
  windowMs: number;
  maxMessages: number;
  nowMs: () => number;
  /** Called after each successful commit (e.g. to wake the worker). */
  onCommitted?: (ids: readonly string[]) => void;
}

export class GroupCommitter {
  private readonly store: MessageStore;
  private readonly options: GroupCommitOptions;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(store: MessageStore, options: GroupCommitOptions) {
    this.store = store;
    this.options = options;
  }

  commit(message: NewMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      if (this.pending.length >= this.options.maxMessages) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  /** Commits whatever is waiting now; used by the timer, a full batch and shutdown. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      this.store.insertBatch(
        batch.map((p) => p.message),
        this.options.nowMs(),
      );
    } catch (err) {
      const storageError = toStorageError(err);
      // A full store fails everyone alike. Anything else may be one bad message:
      // commit the others one by one so only the culprit is refused.
      if (storageError.full || batch.length === 1) {
        for (const p of batch) p.reject(storageError);
        return;
      }
      this.commitOneByOne(batch);
      return;
    }
    for (const p of batch) p.resolve();
    this.options.onCommitted?.(batch.map((p) => p.message.id));
  }

  private commitOneByOne(batch: Pending[]): void {
    const committed: string[] = [];
    for (const p of batch) {
      try {
        this.store.insertBatch([p.message], this.options.nowMs());
        committed.push(p.message.id);
        p.resolve();
      } catch (err) {
        p.reject(toStorageError(err));
      }
    }
    if (committed.length > 0) this.options.onCommitted?.(committed);
  }
}
