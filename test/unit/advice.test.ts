// What a failed account test tells the operator to do: one row per known
// provider reply and per stage, and the advice fits the failure (a server name
// that does not resolve is not a refused From address).
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkSpf, spfMechanism } from '../../src/checks/dns-checks.ts';
import { imapErrorText, openImapConnection } from '../../src/imap-client/index.ts';
import { adviceFor, readableError, type AdviceContext, type Stage } from '../../src/relay/advice.ts';
import { failureOf, stageOfFailure } from '../../src/relay/failure.ts';
import { classifySendError } from '../../src/relay/sender.ts';
import type { Account } from '../../src/store/index.ts';

const ctx: AdviceContext = { port: 587, security: 'starttls' };
const NODE_HINT = 'self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca';
const OPENSSL_PLAIN =
  'ERR_SSL_WRONG_VERSION_NUMBER: 40FDA836277F0000:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/openssl/ssl/record/methods/tlsany_meth.c:77:';

describe('advice for a failed stage', () => {
  it.each<[string, Stage, string, RegExp, Partial<AdviceContext>?]>([
    ['Gmail: app password required', 'auth', '534-5.7.9 Application-specific password required', /app password/],
    ['Gmail: bad credentials', 'auth', '535-5.7.8 Username and Password not accepted', /user name or password was refused/],
    ['Microsoft: SMTP AUTH disabled', 'auth', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled', /SMTP AUTH disabled/],
    ['Microsoft: client not authenticated', 'mail_from', '530 5.7.57 Client not authenticated to send mail', /full mailbox address/],
    ['Microsoft: no send-as right', 'mail_from', '550 5.7.60 SMTP; Client does not have permissions to send as this sender', /Send As/],
    ['a shared mailbox has no password', 'auth', '535 5.7.3 Authentication unsuccessful', /shared mailbox has no password/],
    ['nothing listening', 'connect', 'connect ECONNREFUSED 192.0.2.1:587', /nothing accepts connections on port 587/],
    [
      'an IP allowlist or firewall, with our addresses',
      'connect',
      'ETIMEDOUT: no answer',
      /IP allowlist.*198\.51\.100\.7, 203\.0\.113\.9/,
      { sendingAddresses: ['198.51.100.7', '203.0.113.9'] },
    ],
    ['implicit TLS on a STARTTLS port', 'tls', 'ssl3_get_record:wrong version number', /security to starttls/, { security: 'tls' }],
    ['STARTTLS on the implicit TLS port', 'ehlo', 'Greeting never received', /465 expects implicit TLS/, { port: 465 }],
    ['an untrusted certificate', 'tls', 'self-signed certificate in certificate chain', /private CA's certificate \(tlsCa\)/],
    [
      'a misspelt server name',
      'resolve',
      'getaddrinfo ENOTFOUND smtp.exmaple.com',
      /^the server name smtp\.exmaple\.com could not be found: check the spelling, or choose the provider's preset/,
      { host: 'smtp.exmaple.com', provider: 'custom' },
    ],
    [
      "a preset's server that does not resolve here: this machine's DNS, not the preset",
      'resolve',
      'getaddrinfo ENOTFOUND smtp.gmail.com',
      /^the server name smtp\.gmail\.com \(from the gmail preset\) could not be found from this machine: its DNS resolver or network/,
      { host: 'smtp.gmail.com', provider: 'gmail' },
    ],
    [
      'a resolver that does not answer',
      'resolve',
      'getaddrinfo EAI_AGAIN smtp.example.net',
      /DNS lookup of smtp\.example\.net failed on this server/,
      { host: 'smtp.example.net', provider: 'custom' },
    ],
    [
      'plain text on the IMAP TLS port',
      'imap_login',
      readableError(OPENSSL_PLAIN),
      /^this port speaks plain text or STARTTLS: try --imap-security starttls .*port 993 was asked for implicit TLS/,
      { imapPort: 993 },
    ],
  ])('%s', (_name, stage, detail, advice, over = {}) => {
    expect(adviceFor(stage, detail, { ...ctx, ...over })).toMatch(advice);
  });

  it.each<[string, Partial<AdviceContext>]>([
    ['a preset account with its own server name', { host: 'smtp.gmail.com', provider: 'gmail' }],
    ['an Office 365 account', { host: 'smtp.office365.com', provider: 'office365' }],
    ['a preset account with another server (a relay in between)', { host: 'relay.gmial.com', provider: 'gmail' }],
  ])('never tells %s to use the provider preset', (_name, over) => {
    expect(adviceFor('resolve', `getaddrinfo ENOTFOUND ${over.host}`, { ...ctx, ...over })).not.toMatch(
      /preset \(|choose the provider's preset|use the provider preset/,
    );
  });
});

describe('a failed send, by the stage it failed at', () => {
  const smtp = (responseCode: number, response: string, code = 'EENVELOPE'): object => Object.assign(new Error(response), { code, responseCode, response });
  const network = (code: string, message: string): object => Object.assign(new Error(message), { code });
  it.each<[string, object, Stage]>([
    ['a server name that does not resolve', network('EDNS', 'getaddrinfo ENOTFOUND smtp.exmaple.com'), 'resolve'],
    ['a resolver that does not answer', network('EDNS', 'getaddrinfo EAI_AGAIN smtp.example.com'), 'resolve'],
    ['nothing listening', network('ESOCKET', 'connect ECONNREFUSED 127.0.0.1:587'), 'connect'],
    ['a timeout', network('ETIMEDOUT', 'Connection timeout'), 'connect'],
    ['an untrusted certificate', network('ESOCKET', NODE_HINT), 'tls'],
    ['refused credentials', smtp(535, '535 5.7.8 Username and Password not accepted', 'EAUTH'), 'auth'],
    ['a refused From address', smtp(550, '550 5.7.60 SMTP; Client does not have permissions to send as this sender'), 'mail_from'],
    ['a refused message', smtp(554, '554 5.6.0 message refused', 'EMESSAGE'), 'mail_from'],
  ])('%s', (_name, err, stage) => {
    expect(stageOfFailure(failureOf(err))).toBe(stage);
  });

  it('a DNS failure of the server name is not "the server refused this From address"', () => {
    const reply = 'EDNS: getaddrinfo ENOTFOUND smtp.exmaple.com';
    const advice = adviceFor(stageOfFailure(failureOf(network('EDNS', 'getaddrinfo ENOTFOUND smtp.exmaple.com'))), reply, {
      ...ctx,
      host: 'smtp.exmaple.com',
      provider: 'custom',
    });
    expect(advice).not.toMatch(/refused this From/);
    expect(advice).toMatch(/server name smtp\.exmaple\.com could not be found: check the spelling/);
  });
});

describe("what reaches a person of Node's and OpenSSL's words", () => {
  it.each([
    [NODE_HINT, 'self-signed certificate'],
    [
      'unable to get local issuer certificate; if the root CA is installed locally, try running Node.js with --use-system-ca.',
      'unable to get local issuer certificate',
    ],
    [OPENSSL_PLAIN, 'ERR_SSL_WRONG_VERSION_NUMBER: TLS: wrong version number'],
    ['550 5.1.1 no such user', '550 5.1.1 no such user'],
  ])('%s', (raw, readable) => {
    expect(readableError(raw)).toBe(readable);
  });

  it('a send error stored for the outbound list carries no --use-system-ca', () => {
    const err = Object.assign(new Error(NODE_HINT), { code: 'ESOCKET' });
    expect(classifySendError(err).reply).toBe('ESOCKET: self-signed certificate');
  });

  it('an IMAP server answering in plain text on the TLS port gets the STARTTLS advice (a real connection)', async () => {
    const server = createServer((socket) => socket.end('* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const err: unknown = await openImapConnection(
        { host: '127.0.0.1', port, security: 'tls' },
        { host: '127.0.0.1', address: '127.0.0.1', family: 4 },
        { user: 'u', password: 'p' },
        5000,
      ).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).not.toBeNull();
      expect(adviceFor('imap_login', readableError(imapErrorText(err)), { ...ctx, imapPort: port })).toMatch(
        /^this port speaks plain text or STARTTLS: try --imap-security starttls/,
      );
    } finally {
      server.close();
    }
  });
});

describe('SPF advice', () => {
  it.each([
    ['127.0.0.1', 'ip4:127.0.0.1'],
    ['2001:db8::25', 'ip6:2001:db8::25'],
    ['smtp.example.net', 'a:smtp.example.net'],
  ])('allows %s with %s', (server, mechanism) => {
    expect(spfMechanism(server)).toBe(mechanism);
  });

  /** A resolver answering from a table; a name it lacks does not exist. */
  const resolver =
    (zone: Record<string, unknown>) =>
    async (name: string, rrtype: string): Promise<unknown> => {
      const answer = zone[`${name} ${rrtype}`];
      if (answer === undefined) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return answer;
    };
  const account = (host: string): Account => ({ host, provider: 'custom', fromAddress: 'jobs@acme.example' }) as Account;

  it('for a server given by its address, names the address with ip4:/ip6:, never a:', async () => {
    const missing = await checkSpf(resolver({}), account('127.0.0.1'));
    expect(missing.advice).toBe('publish acme.example. TXT "v=spf1 ip4:127.0.0.1 ~all"');
    const failing = await checkSpf(resolver({ 'acme.example TXT': [['v=spf1 -all']] }), account('2001:db8::25'));
    expect(failing.status).toBe('fail');
    expect(failing.advice).toBe('add ip6:2001:db8::25 to the SPF record of acme.example, before its "all"');
  });

  it('for a server given by name, the address it resolves to or the name', async () => {
    const failing = await checkSpf(resolver({ 'acme.example TXT': [['v=spf1 -all']], 'smtp.acme.example A': ['192.0.2.25'] }), account('smtp.acme.example'));
    expect(failing.advice).toBe('add ip4:192.0.2.25 or a:smtp.acme.example to the SPF record of acme.example, before its "all"');
  });
});
