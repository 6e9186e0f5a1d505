// Verdicts for a message read from a mailbox over IMAP. mailroom did not see the
// SMTP conversation (no client address, no envelope sender), so SPF cannot be
// checked here; the provider that received the message checked it and wrote
// an Authentication-Results header (RFC 8601). Only the topmost
// Authentication-Results of the whole header block is believed, and only when
// it carries the configured provider's authserv-id: the provider prepends its
// own on receipt, above every field (Received included) the sender wrote, so a
// field lower down, whatever id it names, may be the sender's own invention
// (RFC 8601 section 5 has a receiving MTA remove such fields, and not every
// provider does). Its DMARC verdict counts only for the domain of the From
// that is judged here: `dmarc=pass header.from=other.example` proves nothing
// about a From at candidate.example. Without such a header nothing about the
// sender is proven.
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

/** The topmost Authentication-Results of the header block, parsed; null when the message has none. */
export function topmostResults(raw: Buffer): { field: string; parsed: ParsedResults; authservId: string | null } | null {
  const field = resultsFields(rawHeader(raw))[0];
  if (field === undefined) return null;
  const { parsed } = parseHeader(field);
  return { field: field.slice(field.indexOf(':') + 1).trim(), parsed, authservId: parsed.value?.toLowerCase() ?? null };
}

/** The provider's Authentication-Results: the topmost one, when `authservId` wrote it; null otherwise. */
export function trustedResults(raw: Buffer, authservId: string): { field: string; parsed: ParsedResults } | null {
  const top = topmostResults(raw);
  return top && top.authservId === authservId.toLowerCase() ? top : null;
}

/** A domain as written in a header.from or a From address, compared without case or a trailing dot. */
function sameDomain(a: string | null, b: string | null): boolean {
  const norm = (d: string | null): string => (d ?? '').toLowerCase().replace(/\.$/, '');
  return norm(a) !== '' && norm(a) === norm(b);
}

export function verdictsFromProvider(raw: Buffer, authservId: string | null, trustedArcSealers: readonly string[]): AuthVerdicts {
  const head = rawHeader(raw);
  const fromAddresses = readUnsignedHeader(head, undefined).headerFrom.map((a) => a.toLowerCase());
  const found = authservId ? trustedResults(raw, authservId) : null;
  const parsed = found?.parsed ?? {};
  const dkimPass = (parsed.dkim ?? []).filter((row) => resultOf(row) === 'pass');
  // The DMARC row speaks for the domain in its header.from only: about any other From it says nothing.
  const dmarcFrom = parsed.dmarc?.header?.from?.toLowerCase() ?? null;
  const fromDomain = fromAddresses.length === 1 ? domainOf(fromAddresses[0]) : null;
  const dmarcRow = parsed.dmarc && sameDomain(dmarcFrom, fromDomain) ? parsed.dmarc : undefined;
  const dmarcPolicy = dmarcRow?.policy?.['published-domain-policy'] ?? /\bp=(\w+)/i.exec(dmarcRow?.comment ?? '')?.[1] ?? null;
  const evidence: Omit<AuthVerdicts, 'sender'> = {
    spf: resultOf(parsed.spf),
    dkim: dkimPass.length > 0 ? 'pass' : resultOf(parsed.dkim?.[0]),
    dmarc: resultOf(dmarcRow),
    arc: resultOf(parsed.arc),
    dmarcDomain: dmarcRow ? dmarcFrom : null,
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
      ? `read over IMAP, and the message carries no Authentication-Results from ${authservId} at the top of its header`
      : 'read over IMAP from an inbox that names no provider whose Authentication-Results are believed';
  } else if (parsed.dmarc && !dmarcRow && !sender.authenticated) {
    sender.detail = `the provider's DMARC verdict is for ${dmarcFrom ?? 'no domain'}, not for the From domain ${fromDomain ?? '(none)'}; ${sender.detail}`;
  }
  return { ...evidence, sender };
}
