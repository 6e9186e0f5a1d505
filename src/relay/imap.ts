// The IMAP side of an account (imapflow): the connection, with the account's
// IMAP credentials or else its SMTP ones, and the Sent folder, found by its
// SPECIAL-USE attribute \Sent (RFC 6154) or named in the settings.
import { isIP } from 'node:net';
import { ImapFlow } from 'imapflow';
import type { Account, AccountSecret } from '../store/index.ts';

export interface ImapCredentials {
  user: string;
  password: string;
}

/** The user and password IMAP logs in with; a reason when the account has none it can use. */
export function imapCredentials(account: Account, smtpSecret: AccountSecret, imapSecret: AccountSecret | null): ImapCredentials | string {
  const password = imapSecret?.password ?? smtpSecret.password;
  if (!password)
    return 'the account signs in with OAuth2, which mailroom does not use for IMAP yet: give the account an IMAP password of its own (an app password)';
  return { user: account.sentCopy.username ?? account.username, password };
}

export async function openImap(account: Account, credentials: ImapCredentials, timeoutMs: number): Promise<ImapFlow> {
  const { host, port, security } = account.sentCopy;
  if (!host) throw new Error('the account has no IMAP server');
  const client = new ImapFlow({
    host,
    port: port ?? (security === 'tls' ? 993 : 143),
    secure: security === 'tls',
    // STARTTLS required unless the operator chose plain IMAP: credentials never cross in the clear by accident.
    doSTARTTLS: security === 'starttls' ? true : security === 'none' ? false : undefined,
    // SNI takes host names only (RFC 6066).
    tls: isIP(host) ? {} : { servername: host },
    auth: { user: credentials.user, pass: credentials.password },
    logger: false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 4,
  });
  // A connection error after the login would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The folder copies go to: the configured one (which must exist), else the one marked \Sent. */
export async function findSentFolder(client: ImapFlow, configured: string | null): Promise<string> {
  const folders = await client.list();
  if (configured) {
    if (folders.some((f) => f.path === configured)) return configured;
    throw new Error(`the mailbox has no folder "${configured}" (folders: ${folders.map((f) => f.path).join(', ')})`);
  }
  // Only the server's own word (RFC 6154): imapflow also guesses from names like "Sent Items", and a guess may file into the wrong folder.
  const sent = folders.find((f) => f.specialUse === '\\Sent' && f.specialUseSource === 'extension');
  if (sent) return sent.path;
  throw new Error(
    `the server marks no folder as \\Sent (SPECIAL-USE): name the Sent folder in the account's settings (folders: ${folders.map((f) => f.path).join(', ')})`,
  );
}

/** What an IMAP failure says, in one line (the server's words when it gave some). */
export function imapErrorText(err: unknown): string {
  const e = (err ?? {}) as { responseText?: string; message?: string; code?: string; authenticationFailed?: boolean };
  if (e.authenticationFailed) return `IMAP login refused${e.responseText ? `: ${e.responseText}` : ''}`;
  return e.responseText ?? (e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(err)));
}
