// The IMAP side of an account: its server, its login (the account's IMAP
// password, else the SMTP one, else the account's OAuth2 grant), and the Sent
// folder, found by its SPECIAL-USE attribute \Sent (RFC 6154) or named in the
// settings.
import type { ImapFlow } from 'imapflow';
import { openImapConnection, type ImapLogin } from '../imap-client/index.ts';
import { checkedMailServer, type MailServerGuard } from '../net/index.ts';
import type { Account, AccountSecret } from '../store/index.ts';

/** How the account logs in to IMAP: a password of its own, its SMTP password, or its OAuth2 grant (XOAUTH2). */
export function imapLogin(account: Account, smtpSecret: AccountSecret, imapSecret: AccountSecret | null): ImapLogin {
  const user = account.sentCopy.username ?? account.username;
  const password = imapSecret?.password ?? smtpSecret.password;
  if (password) return { user, password };
  if (smtpSecret.oauth2) return { user, oauth2: smtpSecret.oauth2 };
  throw new Error('the account has no password or OAuth2 grant to log in to IMAP with');
}

/** Connects to the account's IMAP server, checked (public unless allowed) and pinned first. */
export async function openImap(account: Account, guard: MailServerGuard, login: ImapLogin, timeoutMs: number): Promise<ImapFlow> {
  const { host, port, security } = account.sentCopy;
  if (!host) throw new Error('the account has no IMAP server');
  const pin = await checkedMailServer(guard, account, host, 'the IMAP server');
  return openImapConnection({ host, port, security: security ?? 'tls' }, pin, login, timeoutMs);
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
