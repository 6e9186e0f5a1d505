// Storing messages read from an inbox over IMAP: the messages, their pipeline
// jobs, the (UIDVALIDITY, UID) of each and how far the folder was read, in one
// transaction. A message read before (the same bytes, or the same Message-ID,
// after a UIDVALIDITY change) is recorded under its new UID and not stored again.
import type { NewMessage, Repositories } from '../store/index.ts';

export interface ImportedMessage {
  message: NewMessage;
  uid: number;
  /** Its Message-ID header, or null. */
  headerId: string | null;
  sha256: string;
}

export interface ImportBatch {
  inboxId: number;
  uidValidity: number;
  messages: ImportedMessage[];
  /** The folder was read up to here (messages skipped as too large included). */
  lastUid: number;
  nowMs: number;
}

/** `stale`: the inbox was removed, or its folder re-read under a new UIDVALIDITY meanwhile; nothing was stored. */
export type ImportOutcome = { stale: true } | { stale: false; stored: number; duplicates: number };

export function importBatch(repositories: Repositories, batch: ImportBatch): Promise<ImportOutcome> {
  return repositories.transaction(async (tx): Promise<ImportOutcome> => {
    const inbox = await tx.inboxes.get(batch.inboxId);
    if (!inbox || inbox.uidValidity !== batch.uidValidity) return { stale: true };
    const fresh: NewMessage[] = [];
    let duplicates = 0;
    for (const { message, uid, headerId, sha256 } of batch.messages) {
      if (await tx.inboxes.hasUid(inbox.id, batch.uidValidity, uid)) {
        duplicates++;
        continue;
      }
      const before = await tx.inboxes.seenBefore(inbox.id, sha256, headerId);
      if (before) duplicates++;
      else fresh.push(message);
      await tx.inboxes.recordImports(inbox.id, batch.uidValidity, [{ uid, messageId: before ?? message.id, headerId, sha256 }]);
    }
    if (fresh.length > 0) await tx.messages.insertBatch(fresh, batch.nowMs);
    await tx.inboxes.advance(inbox.id, batch.uidValidity, batch.lastUid, new Date(batch.nowMs).toISOString());
    return { stale: false, stored: fresh.length, duplicates };
  });
}
