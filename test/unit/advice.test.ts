// What a failed account test tells the operator to do: one row per known
// provider reply and per stage.
import { describe, expect, it } from 'vitest';
import { adviceFor, type Stage } from '../../src/relay/advice.ts';

const ctx = { port: 587, security: 'starttls' };

describe('advice for a failed stage', () => {
  it.each<[string, Stage, string, RegExp, Partial<typeof ctx & { sendingAddresses: string[] }>?]>([
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
    ['a wrong host name', 'resolve', 'getaddrinfo ENOTFOUND smtp.exmaple.com', /does not resolve/],
  ])('%s', (_name, stage, detail, advice, over = {}) => {
    expect(adviceFor(stage, detail, { ...ctx, ...over })).toMatch(advice);
  });
});
