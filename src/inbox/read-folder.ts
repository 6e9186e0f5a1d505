// One pass over an inbox's folder: every message past the last UID read is
// fetched, stored through the store thread in batches (each batch committed with
// the UIDs it holds, so a crash repeats at most the batch in flight, which the
// UIDs then recognise), and then left, flagged \Seen or moved as the inbox says.
import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { ImportBatch, ImportedMessage, ImportOutcome } from '../commit/index.ts';
import type { Logger } from '../log.ts';
import { rawHeader } from '../parse/raw-header.ts';
import { newMessageId, type Inbox } from '../store/index.ts';

export interface FolderReaderDeps {
  /** Stores a batch in one transaction (the store thread). */
  store(batch: ImportBatch): Promise<ImportOutcome>;
  /** The inbox as stored now (its UIDVALIDITY and last UID move as batches land). */
  current(id: number): Promise<Inbox | null>;
  /** Records a new UIDVALIDITY (or the first): the folder is read again from the start; UIDs below `rereadBelow` were there before. */
  startFolder(id: number, uidValidity: number, rereadBelow: number): Promise<void>;
  /** This node, which holds the inbox's reader lease while it reads. */
  node: string;
  nowMs: () => number;
  log: Logger;
  batchMessages: number;
  /** Larger messages are not read (they would be refused over SMTP too); they are logged and passed over. */
  maxMessageBytes: number;
}

export interface PassResult {
  stored: number;
  duplicates: number;
  tooLarge: number;
}

/** Bytes fetched per batch at most, so a folder of large messages does not sit in memory at once. */
const BATCH_BYTES = 16 * 1024 * 1024;

function headerField(head: string, name: string): string | null {
  const match = new RegExp(`^${name}:[ \\t]*([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, 'im').exec(head);
  return match ? (match[1] ?? '').replace(/\r?\n[ \t]+/g, ' ').trim() : null;
}

/** The message as the store takes it, with where it came from. */
function imported(inbox: Inbox, uidValidity: number, uid: number, raw: Buffer, receivedAt: string): ImportedMessage {
  const head = rawHeader(raw).toString('latin1');
  const returnPath = headerField(head, 'Return-Path');
  const messageId = headerField(head, 'Message-ID');
  return {
    uid,
    headerId: messageId ? (/<[^>]+>/.exec(messageId)?.[0] ?? messageId) : null,
    sha256: createHash('sha256').update(raw).digest('hex'),
    message: {
      id: newMessageId(),
      tenantId: inbox.tenantId,
      receivedAt,
      size: raw.length,
      raw,
      spoolFile: null,
      envelope: {
        sessionId: `imap:${inbox.id}:${uidValidity}:${uid}`,
        clientIp: '',
        clientPort: 0,
        helo: '',
        mailFrom: returnPath ? (/<([^>]*)>/.exec(returnPath)?.[1] ?? returnPath) : '',
        rcptTo: [inbox.address],
        tls: null,
        imap: { inboxId: inbox.id, host: inbox.host, folder: inbox.folder, uidValidity, uid, authservId: inbox.authservId },
      },
    },
  };
}

/** UIDs in batches of at most `max` messages and BATCH_BYTES. */
function batches(sizes: readonly { uid: number; size: number }[], max: number): { uid: number; size: number }[][] {
  const out: { uid: number; size: number }[][] = [];
  let current: { uid: number; size: number }[] = [];
  let bytes = 0;
  for (const entry of sizes) {
    if (current.length > 0 && (current.length >= max || bytes + entry.size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

async function afterImport(client: ImapFlow, inbox: Inbox, uids: readonly number[]): Promise<void> {
  if (uids.length === 0 || inbox.afterImport === 'leave') return;
  const set = uids.join(',');
  if (inbox.afterImport === 'seen') await client.messageFlagsAdd(set, ['\\Seen'], { uid: true });
  else if (inbox.afterImport.startsWith('move:')) await client.messageMove(set, inbox.afterImport.slice('move:'.length), { uid: true });
}

/** Reads what is new in the selected folder (the client has it open). */
export async function readFolder(client: ImapFlow, inboxId: number, deps: FolderReaderDeps): Promise<PassResult> {
  const result: PassResult = { stored: 0, duplicates: 0, tooLarge: 0 };
  const mailbox = client.mailbox;
  if (!mailbox) throw new Error('no folder is open');
  const uidValidity = Number(mailbox.uidValidity);
  let inbox = await deps.current(inboxId);
  if (!inbox) return result;
  if (inbox.uidValidity !== uidValidity) {
    if (inbox.uidValidity !== null) {
      deps.log.warn(
        { inboxId, folder: inbox.folder, was: inbox.uidValidity, now: uidValidity },
        'the folder has a new UIDVALIDITY: reading it again (messages already stored are recognised and not stored twice)',
      );
    }
    // What the folder holds now was there under the old UIDVALIDITY, and may be stored already; what comes later is new.
    await deps.startFolder(inboxId, uidValidity, inbox.uidValidity !== null ? Number(mailbox.uidNext) : 0);
    inbox = await deps.current(inboxId);
    if (!inbox) return result;
  }
  // Back-fill is bounded on the first read only: later, everything past the last UID is new.
  const since = inbox.lastUid === 0 && inbox.since ? { since: new Date(inbox.since) } : {};
  const found = (await client.search({ uid: `${inbox.lastUid + 1}:*`, ...since }, { uid: true })) || [];
  // `n:*` always matches the folder's last message, even one below n.
  const uids = found.filter((uid) => uid > (inbox as Inbox).lastUid).sort((a, b) => a - b);
  if (uids.length === 0) return result;
  const sizes: { uid: number; size: number }[] = [];
  for await (const m of client.fetch(uids.join(','), { uid: true, size: true }, { uid: true })) sizes.push({ uid: m.uid, size: m.size ?? 0 });
  sizes.sort((a, b) => a.uid - b.uid);
  for (const batch of batches(sizes, deps.batchMessages)) {
    const wanted = batch.filter((m) => m.size <= deps.maxMessageBytes).map((m) => m.uid);
    const tooLarge = batch.filter((m) => m.size > deps.maxMessageBytes);
    for (const m of tooLarge) deps.log.warn({ inboxId, uid: m.uid, size: m.size }, 'a message in the inbox is larger than smtp.maxMessageBytes: not read');
    result.tooLarge += tooLarge.length;
    const messages: ImportedMessage[] = [];
    const receivedAt = new Date(deps.nowMs()).toISOString();
    if (wanted.length > 0) {
      for await (const m of client.fetch(wanted.join(','), { uid: true, source: true }, { uid: true })) {
        if (m.source) messages.push(imported(inbox, uidValidity, m.uid, m.source, receivedAt));
      }
    }
    messages.sort((a, b) => a.uid - b.uid);
    const lastUid = (batch[batch.length - 1] as { uid: number }).uid;
    const outcome = await deps.store({ inboxId, reader: deps.node, uidValidity, messages, lastUid, nowMs: deps.nowMs() });
    if (outcome.stale) return result;
    result.stored += outcome.stored;
    result.duplicates += outcome.duplicates;
    // Only once stored: a crash before this leaves the messages where they were, and their UIDs say they are read.
    await afterImport(client, inbox, wanted);
  }
  return result;
}
