// What the console says in words where the store keeps codes: times relative
// to now, authentication verdicts, why a message waits and what would have
// filed it, and an account's last error as a person reads it.
import type { StoredMessage } from '../store/index.ts';

/** "just now", "5 min ago", "2 h ago", "3 d ago", then the date. */
export function ago(iso: string, now: Date): string {
  const seconds = Math.round((now.getTime() - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  if (seconds < 30 * 86_400) return `${Math.floor(seconds / 86_400)} d ago`;
  return iso.slice(0, 10);
}

/** The full time, for a title (the console's script shows it in the reader's own time zone). */
export function fullTime(iso: string): string {
  return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

/** A short line of what they wrote, for the queue. */
export function preview(m: StoredMessage, length = 140): string {
  const text = (m.classification?.replyText ?? '').replace(/\s+/g, ' ').trim();
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

const SPF: Record<string, string> = {
  pass: 'the sending server is allowed by SPF',
  fail: 'the sending server is not allowed by SPF',
  softfail: 'SPF doubts the sending server (softfail)',
  neutral: 'SPF says nothing about the sending server',
  none: 'the domain publishes no SPF record',
  temperror: 'SPF could not be checked (temporary DNS error)',
  permerror: "the domain's SPF record is broken",
};

/** The authentication verdicts as sentences. */
export function verdictSentences(m: StoredMessage): string[] {
  const auth = m.auth;
  if (!auth) return ['Not checked yet.'];
  const out: string[] = [];
  if (auth.sender) out.push(auth.sender.authenticated ? `Sender proven: ${auth.sender.detail}.` : `Sender not proven: ${auth.sender.detail}.`);
  out.push(`${capital(SPF[auth.spf] ?? `SPF ${auth.spf}`)}${auth.spfDomain ? ` (${auth.spfDomain})` : ''}.`);
  if (auth.dkim === 'pass') out.push(`Signed (DKIM) by ${auth.dkimDomains.join(', ') || 'a domain'}.`);
  else if (auth.dkim === 'none') out.push('Not signed (no DKIM signature).');
  else out.push(`The DKIM signature did not verify (${auth.dkim}).`);
  const domain = auth.dmarcDomain ?? 'the sender’s domain';
  if (auth.dmarc === 'pass') out.push(`DMARC passed for ${domain}.`);
  else if (auth.dmarc === 'none') out.push(`No DMARC policy: ${domain} publishes none.`);
  else if (auth.dmarc === 'fail') out.push(`DMARC failed for ${domain}${auth.dmarcPolicy ? ` (its policy: ${auth.dmarcPolicy})` : ''}.`);
  else out.push(`DMARC: ${auth.dmarc}.`);
  if (auth.arc !== 'none') out.push(`Forwarding seal (ARC): ${auth.arc}.`);
  return out;
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function names(m: StoredMessage): string {
  const list = (m.decision?.suggestions ?? []).map((s) => s.name);
  if (list.length <= 1) return list[0] ?? 'a candidate';
  return `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}

/** "Jane Doe's address matched (x)", or for several "The address x is Jan Doe's and June Doe's". */
function matched(m: StoredMessage, sender: string): string {
  const count = m.decision?.suggestions.length ?? 0;
  return count > 1 ? `The address ${sender} is on ${count} candidates (${names(m)})` : `${names(m)}'s address matched (${sender})`;
}

/** Why the message waits, and what would have filed it, in two sentences or three. */
export function whyItWaits(m: StoredMessage): { why: string; wouldFile: string } {
  const evidence = m.decision?.evidence ?? {};
  const sender = evidence.sender ?? m.from ?? m.envelope.mailFrom ?? 'the sender';
  const forward = evidence.forward;
  const domain = m.auth?.dmarcDomain ?? sender.slice(sender.lastIndexOf('@') + 1);
  const unproven =
    m.auth?.dmarc === 'none'
      ? `${domain} publishes no DMARC and nothing aligned passed: anyone could have written this From`
      : `nothing proved that ${domain} sent it: anyone could have written this From`;
  const forwardNote = forward?.originalFrom
    ? ` It was forwarded by ${forward.forwardedBy}, naming ${forward.originalFrom} as the original sender; that is not believed (${forward.why ?? 'not proven'}).`
    : '';
  const proven = 'A proven sender (its domain’s DMARC passing, or SPF or DKIM aligned with the From) would have filed it.';
  switch (m.decision?.reason) {
    case 'unauthenticated_sender':
      return {
        why: `${matched(m, sender)}, but ${unproven}.${forwardNote}`,
        wouldFile: `${proven} So would a reply to the conversation's own reply address.`,
      };
    case 'unknown_sender':
      return {
        why: `No candidate of ${m.tenant} has the address ${sender}.${forwardNote}`,
        wouldFile:
          'A candidate with this address (and a proven sender), or a reply to a conversation’s reply address. Filing it here can remember the address.',
      };
    case 'ambiguous_sender':
      return {
        why: `The sender ${sender} is proven, but ${names(m)} share this address.`,
        wouldFile: 'A reply to the conversation’s own reply address, or the address on one candidate only.',
      };
    case 'dmarc_fail':
      return {
        why: `The From ${sender} failed DMARC: ${domain} says its mail is signed or sent by its own servers, and this was neither. It may be forged.`,
        wouldFile: 'Nothing, by design: a From that fails DMARC is never matched. File it only if you know it is real.',
      };
    case 'bad_token':
      return {
        why: 'It came to a reply address whose token mailroom did not issue, or issued for another tenant (a mistyped or forged address).',
        wouldFile: 'A reply to a reply address mailroom handed out.',
      };
    case 'forwarding_verification':
      return {
        why: 'A mail provider asks to confirm forwarding to mailroom.',
        wouldFile: 'Nothing: confirm the forwarding with the link or code below, then dismiss it.',
      };
    case 'bounce_unmatched':
      return {
        why: 'A bounce that names none of the messages mailroom sent (or names only a recipient, which anyone can forge).',
        wouldFile: 'A bounce quoting one of our Message-IDs.',
      };
    case 'test_email':
      return { why: 'A test email of a sending account came back.', wouldFile: 'Nothing: it is a test.' };
    case 'loop':
      return { why: 'Mail from mailroom’s own address, or passed around too often: a mail loop.', wouldFile: 'Nothing: loops are stopped.' };
    default:
      return { why: 'It could not be placed.', wouldFile: 'A reply to a conversation’s reply address, or a proven sender known as a candidate.' };
  }
}

/** Why a suggested candidate is suggested. */
export function suggestionReason(m: StoredMessage): string {
  switch (m.decision?.reason) {
    case 'unauthenticated_sender':
      return 'same address, not proven';
    case 'ambiguous_sender':
      return 'same address, shared';
    case 'dmarc_fail':
      return 'same address, failed DMARC';
    default:
      return 'suggested';
  }
}

/** An account's last error ("stage: error") as a person reads it. */
export function errorWords(error: string): string {
  const text = error.replace(/^(resolve|connect|tls|ehlo|auth|mail_from|imap_login|sent_folder|login|folder|send):\s*/, '');
  const host = /(?:ENOTFOUND|ENODATA|ESERVFAIL)\s+(\S+)/.exec(text)?.[1] ?? /^(\S+) has no address/.exec(text)?.[1];
  // The resolver's code (queryA ENOTFOUND x), or the server check's own words (x has no address; check the host name).
  if (/ENOTFOUND|ENODATA|\bhas no address\b/.test(text)) return host ? `The server name ${host} could not be found.` : 'The server name could not be found.';
  if (/ECONNREFUSED/.test(text)) return 'The server refused the connection: a wrong port, or nothing listens there.';
  if (/ETIMEDOUT|timed? ?out/i.test(text)) return 'The server did not answer in time.';
  if (/certificate/i.test(text)) return `The server's certificate is not trusted (${text}).`;
  if (/\b535\b/.test(text) || error.startsWith('auth:')) return `The provider refused the user name or password (${text}).`;
  return text;
}
