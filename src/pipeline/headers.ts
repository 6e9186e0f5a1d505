// The first pipeline stage: the header summary every message listing shows
// (Message-ID, From, Subject), read with mailparser from the header block only.
import { MailParser, type AddressObject } from 'mailparser';
import type { ProcessedMessage } from '../store/index.ts';

/** The header block: everything up to the first empty line (or all of it). */
function headerBlock(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  return end === -1 ? raw : raw.subarray(0, end + 4);
}

function firstAddress(value: unknown): string | null {
  const objects = (Array.isArray(value) ? value : [value]) as (AddressObject | undefined)[];
  for (const object of objects) {
    for (const entry of object?.value ?? []) {
      if (entry.address) return entry.address;
    }
  }
  return null;
}

export type HeaderFields = Pick<ProcessedMessage, 'messageId' | 'from' | 'subject'>;

export function readHeaderSummary(raw: Buffer): Promise<HeaderFields> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({ skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    let done = false;
    parser.on('headers', (headers: Map<string, unknown>) => {
      done = true;
      const messageId = headers.get('message-id');
      const subject = headers.get('subject');
      resolve({
        messageId: typeof messageId === 'string' && messageId.trim() ? messageId.trim() : null,
        from: firstAddress(headers.get('from')),
        subject: typeof subject === 'string' ? subject : null,
      });
    });
    parser.on('data', (part: { type: string; release?: () => void }) => part.release?.());
    parser.on('error', (err: Error) => {
      if (!done) reject(err);
    });
    parser.on('end', () => {
      if (!done) resolve({ messageId: null, from: null, subject: null });
    });
    parser.end(headerBlock(raw));
  });
}
