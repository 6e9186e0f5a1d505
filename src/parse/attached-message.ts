// The header block of an attached message (message/rfc822), read from its first
// bytes: enough to know who the forwarded message was from, without parsing the
// whole attachment again.
import libmime from 'libmime';
import { addressOf } from './header-block.ts';
import type { AttachedMessage } from './parsed-message.ts';

export function attachedMessageHeaders(head: Buffer): AttachedMessage {
  const text = head.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const fields = new Map<string, string>();
  for (const line of block.split(/\r?\n/)) {
    const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    const name = match?.[1]?.toLowerCase();
    if (match && name && !fields.has(name)) fields.set(name, libmime.decodeWords(match[2] as string));
  }
  const date = fields.get('date') ? new Date(fields.get('date') as string) : null;
  return {
    from: fields.get('from') ? addressOf(fields.get('from') as string) : null,
    to: (fields.get('to') ?? '')
      .split(',')
      .map((part) => addressOf(part))
      .filter((a): a is NonNullable<typeof a> => a !== null),
    subject: fields.get('subject') ?? null,
    date: date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
  };
}
