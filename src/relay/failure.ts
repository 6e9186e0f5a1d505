// An outbound failure as a typed value, made once from the error nodemailer
// gave (or ours): whether sending again can succeed, the server's reply code,
// enhanced status code and line, and what failed. The relay decides on it, the
// store keeps it, the events and the API carry it, the console and the advice
// read it; nobody parses the words again. Modelled on mox's smtpclient.Error
// and maddy's exterrors.
import type { DomainError } from '../errors.ts';
import { NoAddressError } from '../net/index.ts';
import type { OutboundFailure, OutboundFailureCause } from '../store/index.ts';
import { readableError, type Stage } from './advice.ts';

export type { OutboundFailure, OutboundFailureCause };

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** A reply's code and enhanced status code (RFC 3463: class.subject.detail), as a server writes them at the start of its line. */
const REPLY = /^(\d{3})(?:[ -]([245]\.\d{1,3}\.\d{1,3})\b)?/;
const TLS_TROUBLE = /SSL|TLS|certificate|wrong version number|self[- ]signed|altnames|unable to verify/i;
const TIMED_OUT = /ETIMEDOUT|timed? ?out|Greeting never received/i;
const DNS_FAILED = /ENOTFOUND|EAI_AGAIN|getaddrinfo|ESERVFAIL|NXDOMAIN/;
/** Longest line kept: enough for any provider's explanation, bounded for a row and an event. */
const MAX_LINE = 1000;

/** The reply as one line a person can read: control characters gone, Node's hints removed, bounded. */
export function replyLine(text: string): string {
  const flat = readableError(text.replace(/\p{Cc}+/gu, ' ')).replace(/\s{2,}/g, ' ');
  return flat.length > MAX_LINE ? `${flat.slice(0, MAX_LINE)}…` : flat;
}

/**
 * A reply's permanence. 4xx is temporary. 5xx is permanent unless its enhanced
 * code's class says the condition is transient (a 5xx reply with 4.x.x: servers
 * that put the wrong first digit on "try again later" do write the class right).
 */
function permanentReply(code: number, enhancedCode: string | null): boolean {
  if (code < 500) return false;
  return !enhancedCode?.startsWith('4.');
}

function causeOf(e: SmtpFailure, text: string, answered: boolean): OutboundFailureCause {
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') return 'auth';
  if (e.code === 'EDNS' || (!answered && DNS_FAILED.test(text))) return 'dns';
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS' || (!answered && TLS_TROUBLE.test(text))) return 'tls';
  if (e.code === 'ETIMEDOUT' || (!answered && TIMED_OUT.test(text))) return 'timeout';
  if (answered) return 'refused';
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || /ECONN|EHOSTUNREACH|ENETUNREACH|EPIPE/.test(text)) return 'connect';
  if (e.code === 'EPROTOCOL') return 'protocol';
  return 'local';
}

/**
 * What a send error means. A server's reply decides permanence by its codes;
 * without one, nothing is permanent except a login refused without a code (no
 * mechanism offered, no credentials): a connection that failed, timed out or
 * spoke nonsense may work next time.
 */
export function failureOf(err: unknown): OutboundFailure {
  const e = (err ?? {}) as SmtpFailure;
  const text = `${e.code ?? ''} ${e.message ?? String(err)}`;
  const reply = typeof e.response === 'string' ? REPLY.exec(e.response) : null;
  const code = typeof e.responseCode === 'number' ? e.responseCode : reply ? Number(reply[1]) : null;
  const enhancedCode = reply?.[2] ?? null;
  const line = typeof e.response === 'string' && e.response.trim() ? replyLine(e.response) : null;
  const cause = causeOf(e, text, code !== null);
  const permanent = code !== null ? permanentReply(code, enhancedCode) : cause === 'auth';
  return { permanent, code, enhancedCode, line, cause };
}

/** A failure of ours, before any server was asked (credentials unreadable, a server our rules refuse, the account gone). */
export function localFailure(permanent: boolean, cause: OutboundFailureCause = 'local'): OutboundFailure {
  return { permanent, code: null, enhancedCode: null, line: null, cause };
}

/**
 * Our rules' refusal of the account's server, checked before connecting (net/):
 * a name without an address is DNS's, permanent when the name does not exist
 * (NXDOMAIN, NODATA) and temporary when the resolver failed; any other refusal
 * (a private address) is ours, and permanent.
 */
export function refusalOf(err: DomainError): OutboundFailure {
  if (err instanceof NoAddressError) return localFailure(err.resolverFailures.length === 0, 'dns');
  return localFailure(true);
}

/**
 * The account is at fault, not the message: its login is refused, its server's
 * name does not exist, or we cannot use it. The message waits (deferred) and
 * the account is marked failing until someone fixes it.
 */
export function blamesAccount(failure: OutboundFailure): boolean {
  return failure.permanent && (failure.cause === 'auth' || failure.cause === 'dns' || failure.cause === 'local');
}

/** The stage of an account test a failed send belongs to, for the advice. */
export function stageOfFailure(failure: OutboundFailure): Stage {
  switch (failure.cause) {
    case 'dns':
      return 'resolve';
    case 'tls':
      return 'tls';
    case 'connect':
    case 'timeout':
      return 'connect';
    case 'auth':
    case 'local':
      // Ours (credentials unreadable): the fix is the same as for a refused login, giving them again.
      return 'auth';
    case 'refused':
    case 'protocol':
      return 'mail_from';
  }
}

const CAUSE_WORDS: Record<OutboundFailureCause, string> = {
  dns: "the server's name did not resolve",
  connect: 'could not connect',
  tls: 'TLS failed',
  auth: 'the login was refused',
  refused: 'the server refused it',
  timeout: 'the server did not answer in time',
  protocol: 'the server answered out of turn',
  local: 'not sent from here',
};

/**
 * A failure in words, for a person: what failed, whether it is permanent, and
 * the server's own line when it answered, else the error's words as stored
 * (a network error's, or why the relay gave up).
 */
export function failureWords(failure: OutboundFailure, words: string | null): string {
  const what = `${CAUSE_WORDS[failure.cause]}, ${failure.permanent ? 'permanent' : 'temporary'}`;
  const detail = failure.line ?? words;
  return detail ? `${what}: ${detail}` : what;
}
