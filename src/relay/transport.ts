// Nodemailer transport options for an account: host, port, implicit TLS or
// STARTTLS (required, never silently plain), a private CA when configured, and
// the opened secret as password or XOAUTH2 credentials. DKIM signing is not the
// transport's: the relay sends bytes it rendered and signed itself (render.ts).
import { isIP } from 'node:net';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { CheckedHost } from '../net/index.ts';
import type { Account, AccountSecret } from '../store/index.ts';

export interface TransportSettings {
  connectionTimeoutMs: number;
  /** Pool connections (the relay); a one-off test connects once. */
  pool: boolean;
  /** Our name in EHLO. */
  name: string;
}

/** Connects to `pin`, the account's server checked and resolved just before (net/public-host.ts); the name stays for TLS. */
export function transportOptions(
  account: Account,
  secret: AccountSecret,
  settings: TransportSettings,
  pin: CheckedHost,
): SMTPTransport.Options & { pool?: boolean; maxConnections?: number } {
  const auth: SMTPTransport.Options['auth'] = secret.oauth2
    ? {
        type: 'OAuth2',
        user: account.username,
        clientId: secret.oauth2.clientId,
        clientSecret: secret.oauth2.clientSecret,
        refreshToken: secret.oauth2.refreshToken,
        accessUrl: secret.oauth2.tokenUrl,
      }
    : { user: account.username, pass: secret.password ?? '' };
  return {
    host: pin.address,
    port: account.port,
    secure: account.security === 'tls',
    requireTLS: account.security === 'starttls',
    ignoreTLS: account.security === 'none',
    name: settings.name,
    // SNI takes host names only (RFC 6066); an IP address is checked against the certificate's IP entries.
    tls: { ...(isIP(pin.host) ? {} : { servername: pin.host }), ...(account.tlsCa ? { ca: account.tlsCa } : {}) },
    auth,
    connectionTimeout: settings.connectionTimeoutMs,
    greetingTimeout: settings.connectionTimeoutMs,
    socketTimeout: settings.connectionTimeoutMs * 4,
    ...(settings.pool ? { pool: true, maxConnections: 1, maxMessages: 100 } : {}),
  };
}
