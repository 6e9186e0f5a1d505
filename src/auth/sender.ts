// Who sent a message, as far as it is proven. Matching by the sender's address
// trusts only an authenticated From (design notes, "Trust only what is proven"):
//
//   1. exactly one From mailbox (RFC 5322 allows several; DMARC then evaluates
//      to nothing, RFC 7489 6.6.1, and a second mailbox is an attacker's way in);
//   2. DMARC pass for its domain; or, where the domain publishes no DMARC
//      record, an SPF pass for a MAIL FROM domain or a DKIM pass for a d= that
//      is aligned with it (relaxed: the same organizational domain, looked up
//      in the public suffix list); or
//   3. a valid ARC chain whose newest seal is from a trusted sealer (the inbox
//      provider that forwarded it) and whose ARC-Authentication-Results say the
//      From domain passed there.
//
// Anything else (a DMARC fail, a temperror on the last attempt, no evidence at
// all) is not authenticated, and `detail` says why in words an operator reads.
import { getDomain } from 'tldts';

export type SenderAuthMethod = 'dmarc' | 'spf_aligned' | 'dkim_aligned' | 'arc';

export interface SenderAuthentication {
  authenticated: boolean;
  /** The one From mailbox (lower case), or null when there is not exactly one. */
  address: string | null;
  via: SenderAuthMethod | null;
  /** What authenticated the sender, or why nothing did. */
  detail: string;
}

/** What the newest ARC-Authentication-Results recorded (RFC 8617 4.1.1). */
export interface ArcFindings {
  /** d= of the newest ARC-Seal. */
  sealer: string | null;
  dmarc: string | null;
  /** header.from of its dmarc row. */
  dmarcFrom: string | null;
  /** Domains (header.d, else header.i's domain) of its dkim=pass rows. */
  dkimPass: string[];
}

/** The verdicts this judgement reads (a subset of AuthVerdicts, so stored ones work too). */
export interface SenderEvidence {
  dmarc: string;
  spf: string;
  /** Author addresses of the From field(s). */
  fromAddresses: string[];
  /** The MAIL FROM domain SPF evaluated (null for a null sender, where SPF judged the HELO). */
  spfDomain: string | null;
  dkimDomains: string[];
  arc: string;
  arcFindings: ArcFindings | null;
}

/** A comma-separated list of domains from the configuration, lower case. */
export function domainList(text: string): string[] {
  return text
    .split(',')
    .map((d) => d.trim().toLowerCase().replace(/\.$/, ''))
    .filter(Boolean);
}

function domainOf(address: string): string {
  return address
    .slice(address.lastIndexOf('@') + 1)
    .toLowerCase()
    .replace(/\.$/, '');
}

/**
 * The organizational domain (RFC 7489 3.2): the registrable domain by the public
 * suffix list, private suffixes included, so that two customers of one hosting
 * suffix (a.github.io, b.github.io) never align with each other.
 */
export function organizationalDomain(domain: string): string {
  const name = domain.toLowerCase().replace(/\.$/, '');
  return getDomain(name, { allowPrivateDomains: true }) ?? name;
}

export function aligned(a: string, b: string): boolean {
  return organizationalDomain(a) === organizationalDomain(b);
}

/** `sealer` is one of `trusted` or a subdomain of one. */
function trustedSealer(sealer: string | null, trusted: readonly string[]): boolean {
  if (!sealer) return false;
  const s = sealer.toLowerCase();
  return trusted.some((t) => s === t || s.endsWith(`.${t}`));
}

function arcVouches(evidence: SenderEvidence, fromDomain: string, trusted: readonly string[]): string | null {
  const arc = evidence.arcFindings;
  if (evidence.arc !== 'pass' || !arc || !trustedSealer(arc.sealer, trusted)) return null;
  if (arc.dmarc === 'pass' && arc.dmarcFrom?.toLowerCase() === fromDomain) return `ARC sealed by ${arc.sealer}, which saw DMARC pass for ${fromDomain}`;
  const dkim = arc.dkimPass.find((d) => aligned(d, fromDomain));
  return dkim ? `ARC sealed by ${arc.sealer}, which saw a DKIM pass for ${dkim}` : null;
}

function result(address: string | null, via: SenderAuthMethod | null, detail: string): SenderAuthentication {
  return { authenticated: via !== null, address, via, detail };
}

export function authenticateSender(evidence: SenderEvidence, trustedArcSealers: readonly string[]): SenderAuthentication {
  const mailboxes = evidence.fromAddresses;
  if (mailboxes.length !== 1)
    return result(null, null, mailboxes.length === 0 ? 'the message has no From mailbox' : `the From field names ${mailboxes.length} mailboxes`);
  const address = (mailboxes[0] as string).toLowerCase();
  const fromDomain = domainOf(address);

  if (evidence.dmarc === 'pass') return result(address, 'dmarc', `DMARC pass for ${fromDomain}`);
  // A trusted forwarder's seal vouches even where forwarding broke DMARC (the reason ARC exists, RFC 8617 1).
  const arc = arcVouches(evidence, fromDomain, trustedArcSealers);
  if (arc) return result(address, 'arc', arc);
  if (evidence.dmarc === 'fail') return result(address, null, `DMARC fail for ${fromDomain}`);
  if (evidence.dmarc === 'temperror') return result(address, null, `DMARC for ${fromDomain} could not be looked up (temporary DNS failure)`);
  if (evidence.dmarc !== 'none') return result(address, null, `DMARC ${evidence.dmarc} for ${fromDomain}`);

  // No DMARC record: an aligned SPF or DKIM pass is what DMARC would have asked for.
  if (evidence.spf === 'pass' && evidence.spfDomain && aligned(evidence.spfDomain, fromDomain)) {
    return result(address, 'spf_aligned', `SPF pass for ${evidence.spfDomain}, aligned with ${fromDomain} (no DMARC record)`);
  }
  const dkim = evidence.dkimDomains.find((d) => aligned(d, fromDomain));
  if (dkim) return result(address, 'dkim_aligned', `DKIM pass for ${dkim}, aligned with ${fromDomain} (no DMARC record)`);
  const seen = [
    evidence.spf === 'pass' && evidence.spfDomain ? `SPF pass for ${evidence.spfDomain}` : `SPF ${evidence.spf}`,
    evidence.dkimDomains.length ? `DKIM pass for ${evidence.dkimDomains.join(', ')}` : 'no DKIM pass',
  ];
  return result(address, null, `${fromDomain} publishes no DMARC record and nothing aligned passed (${seen.join(', ')})`);
}
