// An outbound failure typed from nodemailer's real errors: the stand-in provider
// (a real smtp-server on 127.0.0.1) answers each stage with scripted replies,
// nodemailer talks to it, and what it throws is classified. Each row says what
// the value must be and what the relay does with it (sent again, failed, or
// held for the account). Only DNS is a made-up error: tests never resolve.
import { createServer, type AddressInfo, type Server } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blamesAccount, failureOf, failureWords, refusalOf, type OutboundFailure } from '../../src/relay/failure.ts';
import { classifySendError } from '../../src/relay/sender.ts';
import type { DnsResolver } from '../../src/dns/index.ts';
import { DomainError } from '../../src/errors.ts';
import { checkedMailServer } from '../../src/net/index.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';

const USER = 'recruiter@acme.com';
const PASSWORD = 'app-password-1';
let provider: Provider;
let silent: Server;
let closedPort: number;

beforeAll(async () => {
  provider = await startProvider({ secure: false, users: { [USER]: PASSWORD } });
  // Accepts connections and never greets: a server that hangs.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  // A port nothing listens on: taken, then given back.
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  closedPort = (taken.address() as AddressInfo).port;
  await new Promise<void>((resolve) => taken.close(() => resolve()));
});

afterAll(async () => {
  await provider.close();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

interface Attempt {
  port?: number;
  secure?: boolean;
  /** Trust the provider's certificate (its own CA). */
  trusted?: boolean;
  password?: string;
  script?: (p: Provider) => void;
}

/** Sends one message the way the relay does, and returns what nodemailer threw. */
async function failedSend(attempt: Attempt): Promise<unknown> {
  attempt.script?.(provider);
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: attempt.port ?? provider.port,
    secure: attempt.secure ?? false,
    requireTLS: !attempt.secure,
    auth: { user: USER, pass: attempt.password ?? PASSWORD },
    tls: attempt.trusted === false ? {} : { ca: provider.ca },
    connectionTimeout: 2_000,
    greetingTimeout: 500,
  });
  try {
    await transport.sendMail({ from: USER, to: 'jane@candidate.example', subject: 'S', text: 'T' });
  } catch (err) {
    return err;
  } finally {
    transport.close();
  }
  throw new Error('the send succeeded: the row scripts no failure');
}

type Outcome = 'deferred' | 'failed' | 'held';
const reply = (code: number, text: string) => ({ code, text });

describe('an outbound failure from a real SMTP conversation', () => {
  it.each<[string, Attempt, Partial<OutboundFailure>, Outcome]>([
    [
      '421 at MAIL FROM: the server is closing, temporary',
      { script: (p) => p.script.mailFrom.push(reply(421, '4.7.0 Temporary System Problem. Try again later')) },
      { permanent: false, code: 421, enhancedCode: '4.7.0', cause: 'refused', line: '421 4.7.0 Temporary System Problem. Try again later' },
      'deferred',
    ],
    [
      '450 at RCPT TO: mailbox busy, temporary',
      { script: (p) => p.script.rcpt.push(reply(450, '4.2.1 mailbox busy, try later')) },
      { permanent: false, code: 450, enhancedCode: '4.2.1', cause: 'refused', line: '450 4.2.1 mailbox busy, try later' },
      'deferred',
    ],
    [
      '550 at RCPT TO: no such user, permanent',
      { script: (p) => p.script.rcpt.push(reply(550, '5.1.1 no such user')) },
      { permanent: true, code: 550, enhancedCode: '5.1.1', cause: 'refused', line: '550 5.1.1 no such user' },
      'failed',
    ],
    [
      '554 after DATA: refused as spam, permanent',
      { script: (p) => p.script.data.push(reply(554, '5.7.1 Message rejected as spam')) },
      { permanent: true, code: 554, enhancedCode: '5.7.1', cause: 'refused', line: '554 5.7.1 Message rejected as spam' },
      'failed',
    ],
    [
      '550 with a 4.x.x enhanced code: the class says temporary',
      { script: (p) => p.script.rcpt.push(reply(550, '4.7.1 greylisted, come back in 5 minutes')) },
      { permanent: false, code: 550, enhancedCode: '4.7.1', cause: 'refused' },
      'deferred',
    ],
    [
      'a multi-line reply: one line, no control characters',
      { script: (p) => p.script.rcpt.push(reply(550, '5.7.1 first line\nsecond line')) },
      { permanent: true, code: 550, enhancedCode: '5.7.1', cause: 'refused', line: '550 5.7.1 first line second line' },
      'failed',
    ],
    [
      '535 at AUTH: the login refused, the account is failing',
      { password: 'wrong' },
      { permanent: true, code: 535, enhancedCode: '5.7.8', cause: 'auth', line: '535 5.7.8 Username and Password not accepted' },
      'held',
    ],
    [
      '535 5.7.139 at AUTH: SMTP AUTH disabled for the tenant',
      { script: (p) => p.script.auth.push(reply(535, '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.')) },
      { permanent: true, code: 535, enhancedCode: '5.7.139', cause: 'auth' },
      'held',
    ],
    [
      '454 at AUTH: a temporary authentication failure, retried without blaming the account',
      { script: (p) => p.script.auth.push(reply(454, '4.7.0 Temporary authentication failure')) },
      { permanent: false, code: 454, enhancedCode: '4.7.0', cause: 'auth' },
      'deferred',
    ],
    ['nothing listening: connect, temporary', { port: -1 }, { permanent: false, code: null, enhancedCode: null, line: null, cause: 'connect' }, 'deferred'],
    ['a server that never greets: timeout, temporary', { port: -2 }, { permanent: false, code: null, line: null, cause: 'timeout' }, 'deferred'],
    ['implicit TLS asked of a plain-text port: tls', { secure: true }, { permanent: false, code: null, cause: 'tls' }, 'deferred'],
    ['a certificate from an unknown CA: tls', { trusted: false }, { permanent: false, code: null, cause: 'tls' }, 'deferred'],
  ])('%s', async (_name, attempt, expected, outcome) => {
    const port = attempt.port === -1 ? closedPort : attempt.port === -2 ? (silent.address() as AddressInfo).port : attempt.port;
    const err = await failedSend({ ...attempt, port });
    const failure = failureOf(err);
    expect(failure).toMatchObject(expected);
    const result = classifySendError(err);
    expect(blamesAccount(failure) ? 'held' : result.outcome).toBe(outcome);
    expect(result.outcome).toBe(outcome === 'failed' ? 'failed' : 'deferred');
  });

  it('a resolver error of nodemailer is DNS (made up: tests never resolve)', () => {
    const err = Object.assign(new Error('getaddrinfo ENOTFOUND smtp.exmaple.com'), { code: 'EDNS' });
    expect(failureOf(err)).toEqual({ permanent: false, code: null, enhancedCode: null, line: null, cause: 'dns' });
  });

  /** A resolver that answers every question with this error code, or with this address. */
  const answering =
    (answer: string): DnsResolver =>
    (_name, rrtype) =>
      /^\d/.test(answer)
        ? Promise.resolve(rrtype === 'A' ? [answer] : [])
        : Promise.reject(Object.assign(new Error(`query failed: ${answer}`), { code: answer }));
  it.each<[string, string, OutboundFailure]>([
    [
      'a server name that does not exist: permanent, the account is failing',
      'ENOTFOUND',
      { permanent: true, code: null, enhancedCode: null, line: null, cause: 'dns' },
    ],
    ['a name without records: permanent', 'ENODATA', { permanent: true, code: null, enhancedCode: null, line: null, cause: 'dns' }],
    ['a resolver that failed: temporary', 'ESERVFAIL', { permanent: false, code: null, enhancedCode: null, line: null, cause: 'dns' }],
    ['a server on a private network: ours, permanent', '10.0.0.5', { permanent: true, code: null, enhancedCode: null, line: null, cause: 'local' }],
  ])("our rules' refusal of the server: %s", async (_name, answer, expected) => {
    const guard = { resolver: answering(answer), allowPrivateNetworks: false };
    const err: unknown = await checkedMailServer(guard, { privateHostAllowed: false }, 'smtp.example.com', 'the SMTP server').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(refusalOf(err as DomainError)).toEqual(expected);
  });

  it('words a failure for a person, with the provider line or else the stored words', () => {
    expect(failureWords({ permanent: true, code: 550, enhancedCode: '5.1.1', line: '550 5.1.1 no such user', cause: 'refused' }, 'ignored')).toBe(
      'the server refused it, permanent: 550 5.1.1 no such user',
    );
    expect(failureWords({ permanent: false, code: null, enhancedCode: null, line: null, cause: 'connect' }, 'ESOCKET: connect ECONNREFUSED')).toBe(
      'could not connect, temporary: ESOCKET: connect ECONNREFUSED',
    );
  });
});
