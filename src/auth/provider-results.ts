// Verdicts for a message read from a mailbox over IMAP. mailroom did not see the
// SMTP conversation (no client address, no envelope sender), so SPF cannot be
// checked here; the provider that received the message checked it and wrote
// an Authentication-Results header (RFC 8601). Only the topmost instance
// carrying the configured provider's authserv-id is believed: RFC 8601 section
// 5 has a receiving MTA remove instances claiming its own id that arrived from
// outside, so anything below it, or naming another id, may be the sender's own
// invention. Without such a header nothing about the sender is proven.
import { createRequire } from 'node:module';
import { rawHeader } from '../parse/raw-header.ts';
import type { AuthResult, AuthVerdicts } from './authenticate.ts';
import { authenticateSender } from './sender.ts';
import { readUnsignedHeader } from './unsigned.ts';

/** A method's result row as mailauth's RFC 8601 parser gives it. */
interface ResultRow {
  value?: string;
  comment?: string;
  header?: Record<string, string>;
  smtp?: Record<string, string>;
  policy?: Record<string, string>;
}
interface ParsedResults {
  /** The authserv-id. */
  value?: string;
  spf?: ResultRow;
  dkim?: ResultRow[];
  dmarc?: ResultRow;
  arc?: ResultRow;
}

const require = createRequire(import.meta.url);
const parseHeader = require('mailauth/lib/parse-dkim-headers') as (line: string) => { parsed: ParsedResults };

const KNOWN_RESULTS = new Set<string>(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy']);

function resultOf(row: ResultRow | undefined): AuthResult {
  const value = row?.value?.toLowerCase();
  return value && KNOWN_RESULTS.has(value) ? (value as AuthResult) : 'none';
}

function domainOf(value: string | undefined): string | null {
  if (!value) return null;
  return value.slice(value.lastIndexOf('@') + 1).toLowerCase() || null;
}

/** The Authentication-Results fields of the header block, topmost first, unfolded. */
function resultsFields(head: Buffer): string[] {
  const fields: string[] = [];
  const text = head.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  for (const line of text.split(/\r?\n/)) if (/^authentication-results\s*:/i.test(line)) fields.push(line);
  return fields;
}

/** The topmost Authentication-Results written by `authservId`, parsed; null when there is none. */
export function trustedResults(raw: Buffer, authservId: string): { field: string; parsed: ParsedResults } | null {
  const id = authservId.toLowerCase();
  for (const field of resultsFields(rawHeader(raw))) {
    const { parsed } = parseHeader(field);
    if (parsed.value?.toLowerCase() === id) return { field: field.slice(field.indexOf(':') + 1).trim(), parsed };
  }
  return null;
}

export function verdictsFromProvider(raw: Buffer, authservId: string | null, trustedArcSealers: readonly string[]): AuthVerdicts {
  const head = rawHeader(raw);
  const fromAddresses = readUnsignedHeader(head, undefined).headerFrom.map((a) => a.toLowerCase());
  const found = authservId ? trustedResults(raw, authservId) : null;
  const parsed = found?.parsed ?? {};
  const dkimPass = (parsed.dkim ?? []).filter((row) => resultOf(row) === 'pass');
  const dmarcPolicy = parsed.dmarc?.policy?.['published-domain-policy'] ?? /\bp=(\w+)/i.exec(parsed.dmarc?.comment ?? '')?.[1] ?? null;
  const evidence: Omit<AuthVerdicts, 'sender'> = {
    spf: resultOf(parsed.spf),
    dkim: dkimPass.length > 0 ? 'pass' : resultOf(parsed.dkim?.[0]),
    dmarc: resultOf(parsed.dmarc),
    arc: resultOf(parsed.arc),
    dmarcDomain: parsed.dmarc?.header?.from?.toLowerCase() ?? null,
    dmarcPolicy: dmarcPolicy?.toLowerCase() ?? null,
    dkimDomains: dkimPass.map((row) => domainOf(row.header?.d) ?? domainOf(row.header?.i)).filter((d): d is string => d !== null),
    authenticationResults: found?.field ?? '',
    fromAddresses,
    spfDomain: domainOf(parsed.spf?.smtp?.mailfrom),
    // The provider's own ARC verdict is in its row; the seal's findings are not re-read here.
    arcFindings: null,
  };
  const sender = authenticateSender(evidence, trustedArcSealers);
  if (!found && !sender.authenticated) {
    sender.detail = authservId
      ? `read over IMAP, and the message carries no Authentication-Results from ${authservId}`
      : 'read over IMAP from an inbox that names no provider whose Authentication-Results are believed';
  }
  return { ...evidence, sender };
}
