// SPF, DKIM, DMARC and ARC for stored messages, with mailauth: one at a time, or
// a group check by check (authenticateGroup, as the pipeline runs). The envelope
// (client IP, HELO, MAIL FROM) comes from what the listener recorded, never from
// the message's own headers. A temporary DNS failure is not a verdict: it throws
// TemporaryAuthError so the job is retried later, unless this is the last try.
//
// mailauth's checks are called one by one, as its `authenticate` calls them,
// rather than through it: that one also loads BIMI (an HTTP client and
// certificate parsers, megabytes of the pipeline thread) and parses every Received
// header of every message. spf is a documented entry point; arc, dmarc's
// evaluateDmarc, parse-received and the DKIM verifier (dkim-verify.ts, which
// keeps parsed keys between messages) are the modules authenticate itself uses;
// a message with nothing to verify skips the verifier (unsigned.ts). The lock
// file pins the version; the auth tests cover each check (DKIM pass and fail,
// SPF, DMARC, ARC, a file's client from Received, the key cache).
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import { asError } from '../errors.ts';
import { eachInTurn } from '../runtime/in-turn.ts';
import { rawHeader } from '../parse/raw-header.ts';
import { verifyDkim } from './dkim-verify.ts';
import { readUnsignedHeader } from './unsigned.ts';
import { authenticateSender, type ArcFindings, type SenderAuthentication } from './sender.ts';
import type { DnsResolver } from '../dns/index.ts';

/** The parts of mailauth's per-check results this module reads. */
interface CheckStatus {
  status?: { result?: string };
  info?: string;
}
interface DkimSignatureResult extends CheckStatus {
  signingDomain?: string;
  status?: { result?: string; aligned?: unknown; underSized?: unknown };
  id?: unknown;
}
interface DkimResult {
  results?: DkimSignatureResult[];
  headerFrom?: unknown;
  fromFields?: unknown;
  envelopeFrom?: string | false;
  arc?: unknown;
  headers?: { parsed?: { key: string | null; line: Buffer | string }[] };
}
interface SpfResult extends CheckStatus {
  domain?: string;
}
/** One row of a parsed ARC-Authentication-Results, as mailauth gives it. */
interface ArcResultRow {
  result?: string;
  header?: Record<string, unknown>;
}
interface ArcResult extends CheckStatus {
  /** Not enumerable in mailauth's result: the instances, oldest first. */
  chain?: { 'arc-seal'?: { parsed?: { d?: { value?: unknown } } } }[];
  authenticationResults?: { dmarc?: ArcResultRow; dkim?: ArcResultRow[] };
}
interface DmarcResult extends CheckStatus {
  domain?: string;
  policy?: string;
}
interface ReceivedFrom {
  value?: string;
  comment?: string;
}
interface Mailauth {
  spf(options: { ip: string; helo?: string; sender?: string; mta: string; resolver: DnsResolver }): Promise<SpfResult | false>;
  arc(chain: unknown, options: { resolver: DnsResolver; ip?: string }): Promise<ArcResult>;
  evaluateDmarc(options: {
    headerFrom: unknown;
    fromFields: unknown;
    spfDomains: string[];
    dkimDomains: { id: unknown; domain: string | undefined; aligned: unknown; underSized: unknown }[];
    arcResult: CheckStatus | undefined;
    resolver: DnsResolver;
  }): Promise<{ response: DmarcResult | false }>;
  parseReceived(line: Buffer | string): { from?: ReceivedFrom; 'envelope-from'?: { value?: string } };
  getClientAddress(from: ReceivedFrom): string | false;
}

const require = createRequire(import.meta.url);
const mailauth: Mailauth = {
  ...(require('mailauth/lib/spf') as Pick<Mailauth, 'spf'>),
  ...(require('mailauth/lib/arc') as Pick<Mailauth, 'arc'>),
  ...(require('mailauth/lib/dmarc') as Pick<Mailauth, 'evaluateDmarc'>),
  ...(require('mailauth/lib/parse-received') as Pick<Mailauth, 'parseReceived' | 'getClientAddress'>),
};

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
  /** Author addresses of the From field(s), lower case. */
  fromAddresses: string[];
  /** The MAIL FROM domain SPF evaluated; null for a null sender (SPF then judged the HELO name). */
  spfDomain: string | null;
  /** What the newest ARC set says, when the chain verified. */
  arcFindings: ArcFindings | null;
  /** Whether the From is proven, and how (auth/sender.ts). */
  sender: SenderAuthentication;
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
  /** Domains whose ARC seal is believed about the sender (auth.trustedArcSealers). */
  trustedArcSealers?: readonly string[];
}

function normalize(result: string | undefined): AuthResult {
  if (!result) return 'none';
  return (result === 'temperr' ? 'temperror' : result) as AuthResult;
}

/** The client as the newest Received header with a from clause names it: for a message read from a file. */
function clientFromReceived(dkim: DkimResult): { ip?: string; helo?: string; sender?: string } {
  const received = (dkim.headers?.parsed ?? []).filter((h) => h.key === 'received').map((h) => mailauth.parseReceived(h.line));
  const newest = received.find((r) => r.from?.value);
  const client: { ip?: string; helo?: string; sender?: string } = {};
  if (newest?.from) {
    // The address of the connection (RFC 5321 4.4), never one the client claimed in its HELO.
    const ip = mailauth.getClientAddress(newest.from);
    if (ip) client.ip = ip;
    else if (newest.from.value) client.helo = newest.from.value;
    const envelopeFrom = newest['envelope-from']?.value;
    if (envelopeFrom) client.sender = envelopeFrom.replace(/[<>]/g, '').trim();
  }
  if (!client.sender && dkim.envelopeFrom) client.sender = dkim.envelopeFrom;
  return client;
}

/** One message on its way through the checks; `failed` stops it. */
interface InProgress {
  input: AuthenticateInput;
  head: Buffer;
  header: string;
  arcSealed: boolean;
  dkim?: DkimResult;
  client?: { ip?: string; helo?: string; sender?: string };
  spf?: SpfResult | false;
  arc?: ArcResult | undefined;
  dmarc?: DmarcResult | false;
  failed?: Error;
}

/**
 * Runs `check` on every message not yet stopped, at most `inFlight` at once;
 * a message whose check throws is stopped with that error.
 */
async function phase(messages: InProgress[], inFlight: number, check: (message: InProgress) => Promise<void>): Promise<void> {
  const going = messages.filter((m) => !m.failed);
  const outcomes = await eachInTurn(going, inFlight, check);
  outcomes.forEach((outcome, i) => {
    if (outcome instanceof Error) (going[i] as InProgress).failed = outcome;
  });
}

function dkimPassing(message: InProgress): DkimSignatureResult[] {
  return (message.dkim?.results ?? []).filter((r) => r.status?.result === 'pass');
}

function stringValue(value: unknown): string | null {
  return typeof value === 'string' && value ? value.toLowerCase() : null;
}

/** The newest seal's domain and what its ARC-Authentication-Results recorded; null unless the chain verified. */
function arcFindingsOf(arc: ArcResult | undefined): ArcFindings | null {
  if (arc?.status?.result !== 'pass') return null;
  const newest = arc.chain?.[arc.chain.length - 1];
  const results = arc.authenticationResults;
  const dkimPass = (results?.dkim ?? [])
    .filter((row) => row.result === 'pass')
    .map((row) => stringValue(row.header?.d) ?? stringValue(row.header?.i)?.replace(/^.*@/, '') ?? null)
    .filter((d): d is string => d !== null);
  return {
    sealer: stringValue(newest?.['arc-seal']?.parsed?.d?.value),
    dmarc: stringValue(results?.dmarc?.result),
    dmarcFrom: stringValue(results?.dmarc?.header?.from),
    dkimPass,
  };
}

function verdictsOf(message: InProgress): AuthVerdicts {
  const { input, spf, arc, dmarc } = message;
  const dkimResults = message.dkim?.results ?? [];
  const passing = dkimPassing(message);
  // The RFC 8601 value mailauth's authenticate would write: its rows in the same order, unfolded.
  const rows = [...dkimResults.map((r) => r.info), spf ? spf.info : undefined, arc?.info, dmarc ? dmarc.info : undefined].filter((row): row is string =>
    Boolean(row),
  );
  const mailFrom = message.client?.sender ?? '';
  const spfDomain = mailFrom.includes('@') ? mailFrom.slice(mailFrom.lastIndexOf('@') + 1).toLowerCase() : null;
  const fromAddresses = (Array.isArray(message.dkim?.headerFrom) ? (message.dkim.headerFrom as unknown[]) : [])
    .filter((a): a is string => typeof a === 'string')
    .map((a) => a.toLowerCase());
  const evidence: Omit<AuthVerdicts, 'sender'> = {
    spf: normalize(spf ? spf.status?.result : undefined),
    dkim: passing.length > 0 ? 'pass' : normalize(dkimResults[0]?.status?.result),
    dmarc: normalize(dmarc ? dmarc.status?.result : undefined),
    arc: normalize(arc ? arc.status?.result : undefined),
    dmarcDomain: dmarc ? (dmarc.domain ?? null) : null,
    dmarcPolicy: dmarc ? (dmarc.policy ?? null) : null,
    dkimDomains: passing.map((r) => r.signingDomain).filter((d): d is string => typeof d === 'string'),
    authenticationResults: `${input.mta}; ${rows.join('; ')}`.replace(/\s+/g, ' ').trim(),
    fromAddresses,
    spfDomain,
    arcFindings: arcFindingsOf(arc),
  };
  // A file with no Received header names no client: SPF has nothing to check.
  if (!input.envelope && !/^Received:/im.test(message.header)) evidence.spf = 'none';
  const verdicts: AuthVerdicts = { ...evidence, sender: authenticateSender(evidence, input.trustedArcSealers ?? []) };
  const temporary =
    [verdicts.spf, verdicts.dkim, verdicts.dmarc, verdicts.arc].includes('temperror') || dkimResults.some((r) => normalize(r.status?.result) === 'temperror');
  if (temporary && !input.lastAttempt) throw new TemporaryAuthError('a DNS lookup failed temporarily; authentication will be retried');
  return verdicts;
}

/**
 * SPF, DKIM, DMARC and ARC for a group of messages, each check over the whole
 * group before the next (as the pipeline runs its stages, for the same reason:
 * one library's code at a time stays hot), at most `inFlight` messages at once.
 * Each outcome is the message's verdicts or the error that stopped it (a
 * temporary DNS failure before the last attempt); one message's failure does
 * not touch the others.
 */
export async function authenticateGroup(inputs: readonly AuthenticateInput[], inFlight: number): Promise<(AuthVerdicts | Error)[]> {
  const messages: InProgress[] = inputs.map((input) => {
    const head = rawHeader(input.raw);
    const header = head.toString('latin1');
    return { input, head, header, arcSealed: /^ARC-Seal:/im.test(header) };
  });
  await phase(messages, inFlight, dkimOf);
  await phase(messages, inFlight, spfOf);
  // No ARC-Seal in the header block: there is no chain to verify.
  await phase(
    messages.filter((m) => m.arcSealed),
    inFlight,
    arcOf,
  );
  await phase(messages, inFlight, dmarcOf);
  return messages.map((message) => {
    if (message.failed) return message.failed;
    try {
      return verdictsOf(message);
    } catch (err) {
      return asError(err);
    }
  });
}

/** DKIM (and ARC's signatures) of a message, and the client its SPF check speaks for. */
async function dkimOf(message: InProgress): Promise<void> {
  const { input, head, header, arcSealed } = message;
  const sender = input.envelope ? input.envelope.mailFrom : undefined;
  // Without a DKIM signature or an ARC seal there is nothing to verify and the
  // body plays no part: SPF and DMARC read the envelope and the header.
  const signed = arcSealed || /^DKIM-Signature:/im.test(header);
  const senderOption = sender !== undefined ? { sender } : {};
  message.dkim = signed ? ((await verifyDkim(input.raw, { resolver: input.resolver, ...senderOption })) as DkimResult) : readUnsignedHeader(head, sender);
  message.client = input.envelope
    ? { ip: input.envelope.clientIp, helo: input.envelope.helo, sender: input.envelope.mailFrom }
    : clientFromReceived(message.dkim);
}

async function spfOf(message: InProgress): Promise<void> {
  const { input, client = {} } = message;
  let helo = client.helo || client.ip;
  if (helo && isIP(helo)) helo = `[${helo}]`;
  message.spf = client.ip
    ? await mailauth.spf({
        ip: client.ip,
        mta: input.mta,
        resolver: input.resolver,
        ...(helo ? { helo } : {}),
        ...(client.sender !== undefined ? { sender: client.sender } : {}),
      })
    : false;
}

async function arcOf(message: InProgress): Promise<void> {
  const ip = message.client?.ip;
  message.arc = await mailauth.arc(message.dkim?.arc, { resolver: message.input.resolver, ...(ip ? { ip } : {}) });
}

async function dmarcOf(message: InProgress): Promise<void> {
  const { dkim, spf } = message;
  message.dmarc = dkim?.headerFrom
    ? (
        await mailauth.evaluateDmarc({
          headerFrom: dkim.headerFrom,
          fromFields: dkim.fromFields,
          spfDomains: spf && spf.status?.result === 'pass' && spf.domain ? [spf.domain] : [],
          dkimDomains: dkimPassing(message).map((r) => ({ id: r.id, domain: r.signingDomain, aligned: r.status?.aligned, underSized: r.status?.underSized })),
          arcResult: message.arc,
          resolver: message.input.resolver,
        })
      ).response
    : false;
}

export async function authenticateMessage(input: AuthenticateInput): Promise<AuthVerdicts> {
  const [outcome] = await authenticateGroup([input], 1);
  if (outcome instanceof Error) throw outcome;
  return outcome as AuthVerdicts;
}
