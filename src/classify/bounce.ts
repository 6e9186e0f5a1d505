// Bounces: RFC 3464 delivery status notifications (the message/delivery-status
// part, per-recipient fields), and the common non-standard bounce texts of
// mailer daemons, read for the failed recipient, the status and the diagnostic.
import { ADDRESS_IN_TEXT, type ParsedMessage } from '../parse/index.ts';
import { isHard } from './bounce-severity.ts';
import { anyPhrase } from './phrases.ts';

export interface BounceInfo {
  recipient: string | null;
  /** Enhanced status code (RFC 3463), e.g. 5.1.1. */
  status: string | null;
  action: string | null;
  diagnostic: string | null;
  /** Permanent failure: the address should not be mailed again as it is. */
  hard: boolean;
  /** Message-ID of the message that bounced, when the report quotes it. */
  originalMessageId: string | null;
}

// A mail system's own sender, as an address or as the name over a null one
// ("MAILER-DAEMON <>"; some send as a bare "mailer-daemon", without a domain).
const DAEMON_SENDER = /^"?(mailer-daemon|postmaster|post_master|mail-daemon|mailerdaemon|mail[. ]?delivery[. ]?(?:system|subsystem)?|bounce|bounces)"?(?:@|$)/i;
const BOUNCE_SUBJECT = anyPhrase([
  'undeliver',
  'delivery status',
  'delivery failure',
  'delivery failed',
  'fail(?:ed|ure) delivery',
  'mail delivery',
  'mail failure',
  'returned mail',
  'return(?:ed|ing) to sender',
  'mail failed',
  'failure notice',
  'delivery has failed',
  'could not be delivered',
  'not delivered',
  'delivery notification',
  'delayed',
  'error sending',
  'smtp server: errors from',
  'non remis',
  'échec de (?:la )?remise',
  'unzustellbar',
  'nicht zustellbar',
  'no se puede entregar',
  'non recapitabile',
  'onbestelbaar',
  'nondeliverable',
  'rejected',
  '配信できません',
  '送信できません',
  'メールエラー',
]);
// What a mail system's report says near its top when its subject says nothing
// telling ("Mail", "Re: ..."): only read for mail from a mail system.
const BOUNCE_BODY = anyPhrase([
  'could not be delivered to',
  'did not reach the following recipient',
  'was not delivered to',
  'delivery to the following recipients? failed',
  'following addresses had permanent',
  'failed addresses follow',
  'permanent (?:fatal )?errors?',
  "wasn't able to deliver",
  'requested action not taken',
]);
/** Splits a delivery-status body into its groups of fields (per-message, then per-recipient). */
function fieldGroups(text: string): Map<string, string>[] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
        const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line.trim());
        if (match) fields.set((match[1] as string).toLowerCase(), (match[2] as string).trim());
      }
      return fields;
    })
    .filter((fields) => fields.size > 0);
}

/** "rfc822; user@example.org" -> "user@example.org" */
function addressField(value: string | undefined): string | null {
  if (!value) return null;
  const address = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  return address.trim().replace(/^<|>$/g, '').toLowerCase() || null;
}

function statusIn(text: string): string | null {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1] ?? null;
}

function originalMessageId(parsed: ParsedMessage, raw: string): string | null {
  for (const match of raw.matchAll(/^Message-ID:\s*(<[^<>\s]+>)/gim)) {
    if (match[1] !== parsed.messageId) return match[1] as string;
  }
  return null;
}

/**
 * The server's reply to this recipient as the report's own text quotes it
 * ("jane@example.org: 550 5.1.1 ... User unknown"), for a report whose
 * delivery-status part has no Diagnostic-Code (OpenSMTPD's, for one).
 */
function replyInText(text: string, recipient: string | null): string | null {
  if (!recipient) return null;
  for (const line of text.split('\n')) {
    const at = line.toLowerCase().indexOf(recipient);
    // Lower-casing can change a line's length before the address (non-ASCII letters): then the place is not trusted.
    if (at === -1 || line.slice(at, at + recipient.length).toLowerCase() !== recipient) continue;
    const reply = /\b[45]\d\d[ -].*$/.exec(line.slice(at + recipient.length));
    if (reply) return reply[0].trim();
  }
  return null;
}

/** RFC 3464 2.3.3's actions that are no failure, and Postfix's address-verification "deliverable". */
const SUCCESS_ACTIONS = new Set(['delivered', 'relayed', 'expanded', 'deliverable']);

function fromDeliveryStatus(parsed: ParsedMessage, text: string, raw: string): BounceInfo | null {
  const groups = fieldGroups(text);
  const recipientGroups = groups.filter((g) => g.has('final-recipient') || g.has('original-recipient'));
  // The first recipient that failed; else one delayed; else the first one reported at all.
  const withAction = (action: string): Map<string, string> | undefined => recipientGroups.find((g) => (g.get('action') ?? '').toLowerCase() === action);
  const group = withAction('failed') ?? withAction('delayed') ?? recipientGroups[0];
  if (!group) return null;
  const action = group.get('action')?.toLowerCase() ?? null;
  const recipient = addressField(group.get('final-recipient') ?? group.get('original-recipient'));
  const diagnostic = group.get('diagnostic-code')?.replace(/^smtp;\s*/i, '') ?? replyInText(parsed.text ?? '', recipient);
  // What the remote server said is more precise than the reporting MTA's Status.
  const status = statusIn(diagnostic ?? '') ?? statusIn(group.get('status') ?? '');
  return {
    recipient,
    status,
    action,
    diagnostic,
    hard: isHard(status, diagnostic ?? '', `${text}\n${parsed.text ?? ''}`),
    originalMessageId: originalMessageId(parsed, raw),
  };
}

/** "The following address(es) failed: / had delivery problems:", "Failed addresses follow:" (Exim, Sendmail and kin) and the first address after it. */
const LISTED_RECIPIENT = new RegExp(
  `(?:following (?:address(?:\\(es\\)|es)?|recipients?)|failed addresses follow)[^\\n]{0,60}\\n\\s*<?(${ADDRESS_IN_TEXT})`,
  'i',
);
const ANY_ADDRESS = new RegExp(ADDRESS_IN_TEXT, 'g');

/** The first address in the text that is neither the sender's nor a mail system's; the search stops there (a report quotes the whole message below). */
function firstAddressBut(text: string, sender: string): string | null {
  for (const [match] of text.matchAll(ANY_ADDRESS)) {
    const address = match.toLowerCase();
    if (address !== sender && !DAEMON_SENDER.test(address)) return address;
  }
  return null;
}

function fromText(parsed: ParsedMessage, raw: string): BounceInfo {
  const text = parsed.text ?? '';
  const sender = parsed.from?.address ?? '';
  // The address under the report's own heading for it, whatever it looks like (a
  // postmaster@ can bounce too); else the first one that is not the mail system's.
  const recipient = LISTED_RECIPIENT.exec(text)?.[1]?.toLowerCase() ?? firstAddressBut(text, sender);
  const status = statusIn(text);
  // "Remote host said: 550 ..." (qmail, Postfix), else a line that opens with a reply code or names the failure.
  const diagnostic =
    /\bsaid:\s*(\d{3}[ -].{0,200})$/im.exec(text)?.[1]?.trim() ??
    /^\s*(?:\d{3}[ -])?(\d{3} .{0,200}|.*(?:user unknown|unknown user|no such user|user not found|does not exist|mailbox unavailable|quota|rejected).{0,120})$/im
      .exec(text)?.[0]
      ?.trim() ??
    null;
  const hard = isHard(status, diagnostic ?? '', text);
  return { recipient, status, action: 'failed', diagnostic, hard, originalMessageId: originalMessageId(parsed, raw) };
}

/**
 * The bounce details when the message is a bounce, else null. `mailFrom` is the
 * envelope sender when known (the listener recorded it); a message read from a
 * file has none, and then the Return-Path header stands in for it.
 */
export function detectBounce(parsed: ParsedMessage, raw: string, mailFrom?: string): BounceInfo | null {
  // A delivery-status part with recipient fields is a DSN whatever the outer type says.
  if (parsed.deliveryStatus) {
    const fromDsn = fromDeliveryStatus(parsed, parsed.deliveryStatus, raw);
    // A report that every recipient got (or would get) the message is no bounce.
    if (fromDsn && SUCCESS_ACTIONS.has(fromDsn.action ?? '')) return null;
    if (fromDsn) return fromDsn;
  }
  const sender = parsed.from?.address ?? '';
  const returnPath = parsed.headers['return-path'];
  const returnAddress = (returnPath ?? '').replace(/[<>\s]/g, '');
  // RFC 5321 4.5.5: notifications are sent with a null reverse-path.
  // A file without Return-Path says nothing of its sender: that is not a null one.
  const nullSender = mailFrom !== undefined ? mailFrom === '' : returnPath !== undefined && returnAddress === '';
  const namedDaemon = !parsed.from && DAEMON_SENDER.test((parsed.headers['from'] ?? '').replace(/<\s*>/, '').trim());
  const fromDaemon = DAEMON_SENDER.test(sender) || DAEMON_SENDER.test(mailFrom ?? returnAddress) || nullSender || namedDaemon;
  if (fromDaemon && (BOUNCE_SUBJECT.test(parsed.subject ?? '') || BOUNCE_BODY.test((parsed.text ?? '').slice(0, 4096)))) return fromText(parsed, raw);
  return null;
}
