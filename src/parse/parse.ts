// mailparser -> ParsedMessage. The parser streams: text parts arrive as one
// object, attachments as streams that are written to content-addressed files as
// they are decoded, so a large attachment never sits in memory whole.
import type { Readable } from 'node:stream';
import { MailParser, type AddressObject, type AttachmentStream, type MessageText } from 'mailparser';
import { attachedMessageHeaders } from './attached-message.ts';
import { rawHeader } from './raw-header.ts';
import type { Address, AttachedMessage, AttachmentInfo, ParsedMessage } from './parsed-message.ts';
import { storeAttachment } from './attachments.ts';

function addresses(value: unknown): Address[] {
  const objects = (Array.isArray(value) ? value : value ? [value] : []) as AddressObject[];
  const out: Address[] = [];
  const walk = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      if (entry.group) walk(entry.group);
      else if (entry.address) out.push({ name: entry.name ?? '', address: entry.address.toLowerCase() });
    }
  };
  for (const object of objects) walk(object.value ?? []);
  return out;
}

function headerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(headerText).join(', ');
  if (value && typeof value === 'object') {
    const v = value as { text?: string; value?: unknown; params?: Record<string, string> };
    if (typeof v.text === 'string') return v.text;
    // Structured headers (Content-Type, ...) keep their parameters: report-type matters.
    if (typeof v.value === 'string') return [v.value, ...Object.entries(v.params ?? {}).map(([k, p]) => `${k}=${p}`)].join('; ');
  }
  return value === undefined || value === null ? '' : String(value);
}

function messageIds(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : '';
  return text.match(/<[^<>\s]+>/g) ?? [];
}

function attachmentInfo(attachment: AttachmentStream, sha256: string, size: number): AttachmentInfo {
  return {
    filename: attachment.filename ?? null,
    contentType: attachment.contentType,
    size,
    sha256,
    contentId: attachment.contentId ?? null,
    inline: Boolean(attachment.related),
  };
}

/** Every header as one line of text, by its lower-case name. */
function flatHeaders(headers: Map<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of headers) {
    if (key === 'list' && value && typeof value === 'object') {
      // mailparser folds List-* headers into one object: list.id, list.unsubscribe, ...
      for (const [name, entry] of Object.entries(value as Record<string, { id?: string; url?: string; mail?: string; name?: string }>)) {
        flat[`list-${name}`] = entry.id ?? entry.url ?? entry.mail ?? entry.name ?? '';
      }
      continue;
    }
    flat[key] = headerText(value);
  }
  return flat;
}

export async function parseMessage(raw: Buffer, dataDir: string): Promise<ParsedMessage> {
  // keepDeliveryStatus: a DSN's status part arrives as its own part, not mixed into the text.
  const parser = new MailParser({ skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true, keepDeliveryStatus: true });
  const attachments: Promise<AttachmentInfo>[] = [];
  const attachedMessages: Promise<AttachedMessage>[] = [];
  let headers = new Map<string, unknown>();
  let text: MessageText | null = null;
  let deliveryStatus: Promise<string> | null = null;

  parser.on('headers', (h: Map<string, unknown>) => (headers = h));
  parser.on('data', (part: AttachmentStream | MessageText) => {
    if (part.type === 'text') {
      text = part;
      return;
    }
    const attachment = part;
    if (attachment.contentType === 'message/delivery-status' && !deliveryStatus) {
      // Small by nature (a few header-like lines per recipient); capped all the same.
      deliveryStatus = readCapped(attachment.content as Readable, 64 * 1024).finally(() => attachment.release?.());
      return;
    }
    const isMessage = attachment.contentType === 'message/rfc822';
    const stored = storeAttachment(dataDir, attachment.content as Readable, isMessage ? 64 * 1024 : 0);
    if (isMessage) attachedMessages.push(stored.then(({ head }) => attachedMessageHeaders(head)));
    attachments.push(stored.then(({ sha256, size }) => attachmentInfo(attachment, sha256, size)).finally(() => attachment.release?.()));
  });
  const ended = new Promise<void>((resolve, reject) => {
    parser.once('end', () => resolve());
    parser.once('error', reject);
  });
  await feed(parser, raw);
  await ended;
  const stored = await Promise.all(attachments);
  const body = text as MessageText | null;
  const date = headers.get('date');
  const messageId = messageIds(headers.get('message-id'))[0] ?? null;
  const subject = headers.get('subject');
  return {
    messageId,
    inReplyTo: messageIds(headers.get('in-reply-to'))[0] ?? null,
    references: messageIds(headers.get('references')),
    subject: typeof subject === 'string' ? subject : null,
    date: date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    from: addresses(headers.get('from'))[0] ?? null,
    to: addresses(headers.get('to')),
    cc: addresses(headers.get('cc')),
    replyTo: addresses(headers.get('reply-to')),
    text: body?.text ?? (stored.length === 0 && !deliveryStatus && !body?.html ? unreadMultipartBody(raw, headers) : null),
    html: typeof body?.html === 'string' ? body.html : null,
    attachments: stored,
    headers: flatHeaders(headers),
    attachedMessages: await Promise.all(attachedMessages),
    deliveryStatus: await (deliveryStatus as Promise<string> | null),
  };
}

/**
 * Writes the message in slices, waiting whenever the parser asks to: handed all
 * at once, a large message's decoded attachments would pile up in memory faster
 * than they are written to their files.
 */
async function feed(parser: MailParser, raw: Buffer): Promise<void> {
  const slice = 64 * 1024;
  for (let offset = 0; offset < raw.length; offset += slice) {
    if (parser.destroyed) return; // it failed; the 'error' already rejected the parse
    if (!parser.write(raw.subarray(offset, offset + slice))) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          parser.off('drain', done);
          parser.off('error', done);
          resolve();
        };
        parser.once('drain', done);
        parser.once('error', done);
      });
    }
  }
  if (!parser.destroyed) parser.end();
}

/** The most of an unread multipart body kept as its text. */
const UNREAD_BODY_LIMIT = 256 * 1024;

/**
 * A multipart message whose boundary never occurs in its body (a broken mailer,
 * or a body cut short) yields no part at all: its body is then kept as plain
 * text, so what it says is still read (a bounce's diagnostic) and shown.
 */
function unreadMultipartBody(raw: Buffer, headers: Map<string, unknown>): string | null {
  const contentType = headers.get('content-type') as { value?: string } | undefined;
  if (!contentType?.value?.toLowerCase().startsWith('multipart/')) return null;
  const start = rawHeader(raw).length;
  const body = raw
    .subarray(start, start + UNREAD_BODY_LIMIT)
    .toString('utf8')
    .replace(/\r\n/g, '\n')
    .trim();
  return body || null;
}

async function readCapped(stream: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (size < max) chunks.push(chunk.subarray(0, max - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
