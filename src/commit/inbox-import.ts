// Storing messages read from an inbox over IMAP: the messages, their pipeline
// jobs, the (UIDVALIDITY, UID) of each and how far the folder was read, in one
// transaction, by the node holding the inbox's reader lease. Each message's
// import row goes in first and decides: a UID recorded already (a batch
// repeated after a crash, or another node's) stores nothing. When the folder is
// re-read after a UIDVALIDITY change, a message read before under the old one
// (the same bytes, or the same Message-ID) is recorded under its new UID and not
// stored again; otherwise a new UID is a new message, whatever its Message-ID.
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
  /** The node that read the batch: it stores only while it holds the inbox's reader lease. */
  reader: string;
  uidValidity: number;
  messages: ImportedMessage[];
  /** The folder was read up to here (messages skipped as too large included). */
  lastUid: number;
  nowMs: number;
}

/** `stale`: the inbox was removed, its folder re-read under a new UIDVALIDITY, or its lease taken over meanwhile; nothing was stored. */
export type ImportOutcome = { stale: true } | { stale: false; stored: number; duplicates: number };

export function importBatch(repositories: Repositories, batch: ImportBatch): Promise<ImportOutcome> {
  return repositories.transaction(async (tx): Promise<ImportOutcome> => {
    if (!(await tx.inboxes.stillReader(batch.inboxId, batch.reader, batch.uidValidity))) return { stale: true };
    const inbox = await tx.inboxes.get(batch.inboxId);
    if (!inbox) return { stale: true };
    const fresh: NewMessage[] = [];
    let duplicates = 0;
    for (const { message, uid, headerId, sha256 } of batch.messages) {
      const before = uid < inbox.rereadBelow ? await tx.inboxes.readBefore(inbox.id, batch.uidValidity, sha256, headerId) : null;
      const recorded = await tx.inboxes.recordImport(inbox.id, batch.uidValidity, { uid, messageId: before ?? message.id, headerId, sha256 });
      if (!recorded || before) duplicates++;
      else fresh.push(message);
    }
    if (fresh.length > 0) await tx.messages.insertBatch(fresh, batch.nowMs);
    await tx.inboxes.advance(inbox.id, batch.uidValidity, batch.lastUid, new Date(batch.nowMs).toISOString());
    return { stale: false, stored: fresh.length, duplicates };
  });
}
