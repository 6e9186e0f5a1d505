// Forwards. A person's forward (inline block from Gmail, Outlook, Apple Mail,
// Thunderbird, Yahoo and others, in many languages) is read with
// email-forward-parser to recover the original sender, recipients, subject,
// date and the forwarder's note. An automatic forward (Resent-*, X-Forwarded-*)
// keeps the original From, and says who forwarded it. Whether a recovered
// original sender is believed is matching's question (match/decide.ts).
import EmailForwardParser, { type EmailForwardMailbox } from 'email-forward-parser';
import { addressOf, findHeaderBlock, type Address, type ParsedMessage } from '../parse/index.ts';

export interface ForwardInfo {
  manual: boolean;
  /** Who the message is really from. */
  originalFrom: Address | null;
  originalTo: Address[];
  originalSubject: string | null;
  originalDate: string | null;
  /** What the forwarder wrote above the forwarded message. */
  note: string | null;
  /** The mailbox that forwarded it, where that differs from the original sender. */
  forwardedBy: string | null;
}

const parser = new EmailForwardParser();

function mailbox(value: EmailForwardMailbox | null | undefined): Address | null {
  return value?.address ? { name: value.name ?? '', address: value.address.toLowerCase() } : null;
}

function mailboxes(value: EmailForwardMailbox | EmailForwardMailbox[] | null | undefined): Address[] {
  return (Array.isArray(value) ? value : value ? [value] : []).map(mailbox).filter((a): a is Address => a !== null);
}

function firstAddress(header: string | undefined): string | null {
  return addressOf(header ?? '')?.address ?? null;
}

/**
 * Headers that claim an earlier sender or a forwarder. Anyone can write them,
 * so they are hints for a person to read, never proof of who sent a message.
 */
export const FORWARD_HINT_HEADERS = [
  'x-original-from',
  'resent-from',
  'resent-sender',
  'x-forwarded-for',
  'x-forwarded-to',
  'x-original-sender',
  'delivered-to',
] as const;

export function forwardHints(headers: Readonly<Record<string, string>>): Record<string, string> {
  const hints: Record<string, string> = {};
  for (const name of FORWARD_HINT_HEADERS) {
    const value = headers[name];
    if (value) hints[name] = value.slice(0, 256);
  }
  return hints;
}

/**
 * An automatic forward (a redirect keeps the From; Resent-* and X-Forwarded-*
 * say who passed it on). The From itself stays the sender: X-Original-From and
 * the like are only hints (forwardHints), since anyone can write them.
 */
function automatic(parsed: ParsedMessage): ForwardInfo | null {
  const h = parsed.headers;
  const forwarder = firstAddress(h['resent-from']) ?? firstAddress(h['x-forwarded-for']) ?? firstAddress(h['x-forwarded-to']);
  if (!forwarder) return null;
  const from = parsed.from;
  return {
    manual: false,
    originalFrom: from,
    originalTo: parsed.to,
    originalSubject: parsed.subject,
    originalDate: parsed.date,
    note: null,
    forwardedBy: forwarder !== from?.address ? forwarder : null,
  };
}

/** Forward prefixes of the subject line in the clients' languages (Fwd, Fw, Tr, WG, RV, I, Enc, Doorst, VS, VB, ...). */
const FORWARD_SUBJECT = /^\s*(fwd?|tr|wg|rv|i|enc|doorst|vs|vb|vl|pd|pr|trs|fs|пер|переслать|пересл)\s*:/iu;

/** An Outlook-style forward the library misses: a header block under a forward subject. */
function fromHeaderBlock(parsed: ParsedMessage): ForwardInfo | null {
  if (!FORWARD_SUBJECT.test(parsed.subject ?? '')) return null;
  const lines = (parsed.text ?? '').split(/\r?\n/);
  const block = findHeaderBlock(lines);
  const originalFrom = block?.fields.from ? addressOf(block.fields.from) : null;
  if (!block || !originalFrom) return null;
  return {
    manual: true,
    originalFrom,
    originalTo: block.fields.to ? [addressOf(block.fields.to)].filter((a): a is Address => a !== null) : [],
    originalSubject: block.fields.subject ?? null,
    originalDate: block.fields.date ?? null,
    note: lines.slice(0, block.start).join('\n').trim() || null,
    forwardedBy: parsed.from && parsed.from.address !== originalFrom.address ? parsed.from.address : null,
  };
}

/** A message forwarded as an attachment (message/rfc822): the attached one is the original. */
function fromAttachedMessage(parsed: ParsedMessage): ForwardInfo | null {
  const attached = parsed.attachedMessages[0];
  const originalFrom = attached?.from;
  if (!attached || !originalFrom) return null;
  return {
    manual: true,
    originalFrom,
    originalTo: attached.to,
    originalSubject: attached.subject,
    originalDate: attached.date,
    note: parsed.text?.trim() || null,
    forwardedBy: parsed.from && parsed.from.address !== originalFrom.address ? parsed.from.address : null,
  };
}

export function detectForward(parsed: ParsedMessage): ForwardInfo | null {
  const text = parsed.text ?? '';
  if (text) {
    const result = parser.read(text, parsed.subject);
    const originalFrom = result.forwarded ? mailbox(result.email.from) : null;
    if (result.forwarded && originalFrom) {
      return {
        manual: true,
        originalFrom,
        originalTo: mailboxes(result.email.to),
        originalSubject: result.email.subject ?? null,
        originalDate: result.email.date ?? null,
        note: result.message?.trim() || null,
        forwardedBy: parsed.from && parsed.from.address !== originalFrom.address ? parsed.from.address : null,
      };
    }
  }
  return fromHeaderBlock(parsed) ?? fromAttachedMessage(parsed) ?? automatic(parsed);
}

/** For the evaluation: the library's reading of a bare body and subject. */
export function readForwardBody(body: string, subject: string | null): { forwarded: boolean; from: string | null; subject: string | null } {
  const result = parser.read(body, subject);
  return { forwarded: result.forwarded, from: result.email?.from?.address ?? null, subject: result.email?.subject ?? null };
}
