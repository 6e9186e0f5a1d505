// One way to open an IMAP connection (imapflow), for the Sent copies of the relay
// and for inboxes read directly: the server, and a login by password or by an
// OAuth2 access token (XOAUTH2, as Gmail and Microsoft 365 take it).
import { isIP } from 'node:net';
// Types only here: imapflow and nodemailer load when a connection is opened, not with every command that could open one.
import type { ImapFlow } from 'imapflow';
import type { CheckedHost } from '../net/index.ts';

export type ImapSecurity = 'tls' | 'starttls' | 'none';

export interface ImapServer {
  host: string;
  port: number | null;
  security: ImapSecurity;
}

export interface OAuth2Grant {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  tokenUrl: string;
}

/** A password, or an OAuth2 grant that an access token is fetched with at each login. */
export type ImapLogin = { user: string; password: string } | { user: string; oauth2: OAuth2Grant };

/** An access token for the grant, from its token endpoint (refresh_token grant). */
async function accessToken(user: string, grant: OAuth2Grant): Promise<string> {
  const { default: XOAuth2 } = await import('nodemailer/lib/xoauth2');
  const oauth2 = new XOAuth2({ user, clientId: grant.clientId, clientSecret: grant.clientSecret, refreshToken: grant.refreshToken, accessUrl: grant.tokenUrl });
  return new Promise((resolve, reject) =>
    oauth2.getToken(false, (err, token) => (err ? reject(new Error(`the OAuth2 token endpoint refused: ${err.message}`)) : resolve(token))),
  );
}

/** For a connection that stays open watching a folder: IDLE soon after each command, restarted before the socket's timeout. */
export interface WatchOptions {
  autoIdleDelayMs: number;
  maxIdleMs: number;
}

/**
 * Connects to the address checked beforehand (net/public-host.ts: `pin`), never
 * to a second DNS answer; the server's name stays for TLS (SNI, certificate).
 */
export async function openImapConnection(server: ImapServer, pin: CheckedHost, login: ImapLogin, timeoutMs: number, watch?: WatchOptions): Promise<ImapFlow> {
  const { port, security } = server;
  const host = pin.host;
  const auth =
    'password' in login ? { user: login.user, pass: login.password } : { user: login.user, accessToken: await accessToken(login.user, login.oauth2) };
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: pin.address,
    port: port ?? (security === 'tls' ? 993 : 143),
    secure: security === 'tls',
    // STARTTLS required unless the operator chose plain IMAP: credentials never cross in the clear by accident.
    doSTARTTLS: security === 'starttls' ? true : security === 'none' ? false : undefined,
    // SNI takes host names only (RFC 6066).
    tls: isIP(host) ? {} : { servername: host },
    auth,
    logger: false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: watch ? watch.maxIdleMs + timeoutMs * 4 : timeoutMs * 4,
    ...(watch ? { autoIdleDelay: watch.autoIdleDelayMs, maxIdleTime: watch.maxIdleMs } : {}),
  });
  // A connection error after the login would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** What an IMAP failure says, in one line (the server's words when it gave some). */
export function imapErrorText(err: unknown): string {
  const e = (err ?? {}) as { responseText?: string; message?: string; code?: string; authenticationFailed?: boolean };
  if (e.authenticationFailed) return `IMAP login refused${e.responseText ? `: ${e.responseText}` : ''}`;
  return e.responseText ?? (e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(err)));
}

/** Logs out, or drops the connection when the server does not answer. */
export async function closeImap(client: ImapFlow | null): Promise<void> {
  await client?.logout().catch(() => client.close());
}
