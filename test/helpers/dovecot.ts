// Dovecot for the tests (scripts/lib/dovecot.ts), in a temporary directory removed with the others.
import { startDovecot as startIn, type Dovecot, type DovecotOptions } from '../support/dovecot.ts';
import { ImapFlow } from 'imapflow';
import { tempDir } from './server.ts';

export { DOVECOT, dovecotUnavailable, type Dovecot } from '../support/dovecot.ts';

export function startDovecot(options: DovecotOptions = {}): Promise<Dovecot> {
  return startIn(tempDir('mailroom-dovecot-'), options);
}

/** An IMAP session on the test Dovecot as `user`, for putting mail where mailroom reads it. */
export async function imapSession(d: Dovecot, user: string, password: string): Promise<ImapFlow> {
  const client = new ImapFlow({ host: '127.0.0.1', port: d.port, secure: false, auth: { user, pass: password }, logger: false });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A message as a provider would deliver it into the mailbox, with its own Authentication-Results. */
export function deliveredMessage(options: { n: number | string; from?: string; authservId?: string; dmarc?: string; to?: string; body?: string }): string {
  const from = options.from ?? 'jane@candidate.example';
  const domain = from.split('@')[1];
  return [
    `Return-Path: <${from}>`,
    `Authentication-Results: ${options.authservId ?? 'mx.provider.test'}; spf=pass smtp.mailfrom=${domain}; dkim=pass header.d=${domain}; dmarc=${options.dmarc ?? 'pass'} header.from=${domain}`,
    `From: Jane Doe <${from}>`,
    `To: ${options.to ?? 'jobs@acme.com'}`,
    `Subject: Application ${options.n}`,
    `Message-ID: <inbox-${options.n}@candidate.example>`,
    'Date: Fri, 04 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body ?? `Hello, this is message ${options.n}.`,
    '',
  ].join('\r\n');
}
