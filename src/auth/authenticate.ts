// SPF, DKIM, DMARC and ARC for one stored message, with mailauth. The envelope
// (client IP, HELO, MAIL FROM) comes from what the listener recorded, never from
// the message's own headers. A temporary DNS failure is not a verdict: it throws
// TemporaryAuthError so the job is retried later, unless this is the last try.
import { authenticate } from 'mailauth';
import type { DnsResolver } from './resolver.ts';

export type AuthResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy' | 'skipped' | 'declined';

export interface AuthVerdicts {
  spf: AuthResult;
  dkim: AuthResult;
  dmarc: AuthResult;
  arc: AuthResult;
  /** The From domain whose DMARC policy applies, and that policy (none, quarantine, reject). */
  dmarcDomain: string | null;
  dmarcPolicy: string | null;
  /** Domains whose DKIM signature verified. */
  dkimDomains: string[];
  /** The Authentication-Results header value (RFC 8601), without the field name. */
  authenticationResults: string;
}

export class TemporaryAuthError extends Error {
  override name = 'TemporaryAuthError';
}

export interface AuthenticateInput {
  raw: Buffer;
  /** The SMTP envelope as the listener recorded it; null for a message read from a file,
   * whose client IP, HELO and sender are then taken from its newest Received and Return-Path. */
  envelope: { clientIp: string; helo: string; mailFrom: string } | null;
  /** Our host name: the authserv-id of Authentication-Results. */
  mta: string;
  resolver: DnsResolver;
  /** On the last attempt a temporary DNS failure is recorded as temperror instead of thrown. */
  lastAttempt: boolean;
}

function normalize(result: string | undefined): AuthResult {
  if (!result) return 'none';
  return (result === 'temperr' ? 'temperror' : result) as AuthResult;
}

/** Pulls the Authentication-Results value out of mailauth's header block. */
function authenticationResultsOf(headers: string): string {
  const unfolded = headers.replace(/\r?\n(?=[ \t])/g, '');
  const line = unfolded.split(/\r?\n/).find((l) => /^Authentication-Results:/i.test(l)) ?? '';
  return line.replace(/^Authentication-Results:\s*/i, '').replace(/\s+/g, ' ').trim();
}

/** The header block and the blank line after it (or the first 256 KB of a message without one). */
function headerBlock(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf !== -1 ? lf + 2 : Math.min(raw.length, 256 * 1024);
  return raw.subarray(0, end);
}

export async function authenticateMessage(input: AuthenticateInput): Promise<AuthVerdicts> {
  const head = headerBlock(input.raw);
  const header = head.toString('latin1');
  const arcSealed = /^ARC-Seal:/im.test(header);
  // Without a DKIM signature or an ARC seal the body plays no part: SPF and
  // DMARC read the envelope and the header. mailauth would still walk the body.
  const signed = arcSealed || /^DKIM-Signature:/im.test(header);
  const result = await authenticate(signed ? input.raw : head, {
    ...(input.envelope ? { ip: input.envelope.clientIp, helo: input.envelope.helo, sender: input.envelope.mailFrom } : { trustReceived: true }),
    mta: input.mta,
    resolver: input.resolver as never,
    disableBimi: true,
    // No ARC-Seal in the header block: there is no chain to verify.
    disableArc: !arcSealed,
  });
  const dkimResults = result.dkim.results ?? [];
  const dkimPassing = dkimResults.filter((r) => r.status?.result === 'pass');
  const verdicts: AuthVerdicts = {
    spf: normalize(result.spf ? result.spf.status?.result : undefined),
    dkim: dkimPassing.length > 0 ? 'pass' : normalize(dkimResults[0]?.status?.result),
    dmarc: normalize(result.dmarc ? result.dmarc.status?.result : undefined),
    arc: normalize(result.arc ? result.arc.status?.result : undefined),
    dmarcDomain: result.dmarc ? result.dmarc.domain : null,
    dmarcPolicy: result.dmarc ? result.dmarc.policy : null,
    dkimDomains: dkimPassing.map((r) => r.signingDomain).filter((d): d is string => typeof d === 'string'),
    authenticationResults: authenticationResultsOf(result.headers),
  };
  // A file with no Received header names no client: SPF has nothing to check.
  if (!input.envelope && !/^Received:/im.test(header)) verdicts.spf = 'none';
  const temporary = [verdicts.spf, verdicts.dkim, verdicts.dmarc, verdicts.arc].includes('temperror') || dkimResults.some((r) => normalize(r.status?.result) === 'temperror');
  if (temporary && !input.lastAttempt) throw new TemporaryAuthError('a DNS lookup failed temporarily; authentication will be retried');
  return verdicts;
}
