// Writing a batch of accepted messages in one transaction (one fsync), with the
// outcome of each message (the batch is a savepoint of its own, so a failure
// undoes only its rows). A batch that fails for any reason but a full store is
// retried one message at a time, so only the culprit is refused.
import { toStorageError } from '../errors.ts';
import type { MessageStore, NewMessage } from '../store/messages.ts';

export type CommitOutcome = { ok: true } | { ok: false; full: boolean; error: string };

/** Where the group committer sends its batches: on this thread or a writer thread. */
export interface BatchWriter {
  write(batch: NewMessage[], nowMs: number): Promise<CommitOutcome[]>;
  close(): Promise<void>;
}

function failure(err: unknown): CommitOutcome {
  const storageError = toStorageError(err);
  return { ok: false, full: storageError.full, error: storageError.message };
}

export async function writeBatch(store: MessageStore, batch: readonly NewMessage[], nowMs: number): Promise<CommitOutcome[]> {
  try {
    await store.insertBatch(batch, nowMs);
    return batch.map(() => ({ ok: true }));
  } catch (err) {
    const outcome = failure(err);
    if (batch.length === 1 || (!outcome.ok && outcome.full)) return batch.map(() => outcome);
  }
  const outcomes: CommitOutcome[] = [];
  for (const message of batch) {
    try {
      await store.insertBatch([message], nowMs);
      outcomes.push({ ok: true });
    } catch (err) {
      outcomes.push(failure(err));
    }
  }
  return outcomes;
}

/** Writes on the calling thread: for tools and tests that need no writer thread. */
export class InlineBatchWriter implements BatchWriter {
  private readonly store: MessageStore;

  constructor(store: MessageStore) {
    this.store = store;
  }

  async write(batch: NewMessage[], nowMs: number): Promise<CommitOutcome[]> {
    return writeBatch(this.store, batch, nowMs);
  }

  async close(): Promise<void> {}
}
