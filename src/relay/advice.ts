// What to do about a failed stage of an account test, in the operator's terms.
// The well-known replies of the big providers are recognised by their enhanced
// status codes; everything else gets advice by stage.
// Advice names the account's settings as the JSON and the console show them (security,
// port, tlsCa): the API and the console show it too. The one flag named is the IMAP
// security's, beside the setting's own name, because operators meet that failure
// first on the command line.
import { isProvider, PROVIDERS } from './providers.ts';

export type Stage = 'resolve' | 'connect' | 'tls' | 'ehlo' | 'auth' | 'mail_from' | 'imap_login' | 'sent_folder';

/** What the advice may know of the account: where it connects, and whether that came from a provider preset. */
export interface AdviceContext {
  port: number;
  security: string;
  host?: string;
  provider?: string;
  /** The IMAP server's port, for the stages of the sent-copy login. */
  imapPort?: number | null;
  sendingAddresses?: readonly string[];
}

/** The resolver failing (no answer), not the name. */
const DNS_DOWN = /EAI_AGAIN|ESERVFAIL/;
/** An implicit-TLS handshake answered by a server that speaks plain text first (its greeting is not a TLS record). */
const PLAIN_ON_TLS = /wrong version number|packet length too long|unknown protocol|WRONG_VERSION_NUMBER/i;

/**
 * An error's text as a person should read it: without Node's hint to restart it
 * with a flag (`--use-system-ca`, which an operator of mailroom cannot act on; the
 * advice says what to do instead) and with OpenSSL's error stack cut to its reason.
 */
export function readableError(text: string): string {
  return text
    .replace(/;?\s*if the root CA is installed locally, try running Node\.js with --use-system-ca\.?/gi, '')
    .replace(/\s*\(?hint:[^)]*--use-system-ca[^)]*\)?/gi, '')
    .replace(/[0-9A-F]{8,}:error:[0-9A-F]+:SSL routines:[^:]*:([^:\n]+):\S*/g, 'TLS: $1')
    .trim();
}

/** The preset the account's server came from, when it uses the preset's own host. */
function presetInUse(context: AdviceContext): string | null {
  const { provider, host } = context;
  if (!provider || !isProvider(provider)) return null;
  const preset = PROVIDERS[provider];
  return preset.host !== null && preset.host === host ? provider : null;
}

function resolveAdvice(detail: string, context: AdviceContext): string {
  const name = context.host ?? 'the server name';
  if (DNS_DOWN.test(detail))
    return `the DNS lookup of ${name} failed on this server (no answer from its resolver): check this machine's DNS settings and network, then try again.`;
  const preset = presetInUse(context);
  if (preset)
    return `the server name ${name} (from the ${preset} preset) could not be found from this machine: its DNS resolver or network is failing; check them (e.g. \`getent hosts ${name}\`) and try again.`;
  return `the server name ${name} could not be found: check the spelling${context.provider && context.provider !== 'custom' ? '' : ", or choose the provider's preset (gmail, office365, ...), which fills in the server"}.`;
}

const KNOWN_REPLIES: readonly { pattern: RegExp; advice: string }[] = [
  {
    pattern: /5\.7\.9\b/,
    advice:
      'Google requires an app password for this mailbox (2-step verification is on): create one at https://myaccount.google.com/apppasswords and use it instead of the account password, or use OAuth2.',
  },
  {
    pattern: /5\.7\.8\b/,
    advice: 'the user name or password was refused (Google 5.7.8): check both; with 2-step verification use an app password, or OAuth2.',
  },
  {
    pattern: /5\.7\.139\b/,
    advice:
      'Microsoft 365 has SMTP AUTH disabled for this tenant or mailbox: an admin enables "Authenticated SMTP" for the mailbox (Microsoft 365 admin center > user > Mail > Manage email apps), or use OAuth2.',
  },
  {
    pattern: /5\.7\.57\b/,
    advice:
      'Microsoft 365 refused to send without authentication: check that the user name is the full mailbox address and that the password (or app password) is right.',
  },
  {
    pattern: /5\.7\.60\b/,
    advice:
      'the mailbox may not send as this From address (no "Send As" permission): use the mailbox\'s own address as the From address, or have an admin grant Send As on the shared mailbox.',
  },
  {
    pattern: /5\.7\.3\b|535[ -]5\.7\.3/,
    advice:
      'authentication was refused (5.7.3): check the user name and password; a shared mailbox has no password of its own: use a licensed mailbox, or OAuth2 with send-as rights.',
  },
];

const allowed = (context: { sendingAddresses?: readonly string[] }): string =>
  context.sendingAddresses?.length ? `mailroom's addresses ${context.sendingAddresses.join(', ')}` : 'it';

export function adviceFor(stage: Stage, detail: string, context: AdviceContext): string {
  for (const known of KNOWN_REPLIES) if (known.pattern.test(detail)) return known.advice;
  switch (stage) {
    case 'resolve':
      return resolveAdvice(detail, context);
    case 'connect':
      if (/ECONNREFUSED/.test(detail))
        return `nothing accepts connections on port ${context.port}: check the port (465 for implicit TLS, 587 for STARTTLS), and that the server is up.`;
      if (/ETIMEDOUT|timed out|no answer/i.test(detail))
        return `the connection timed out: a firewall, or an IP allowlist on the customer's SMTP server, blocks this server's address; ask their IT to allow ${allowed(context)}, and check port ${context.port} is open outbound here.`;
      return `could not connect to port ${context.port}: check the server name and the port (465 for implicit TLS, 587 for STARTTLS), that the server is up, and that no firewall or IP allowlist blocks this server (ask their IT to allow ${allowed(context)}).`;
    case 'tls':
      if (/wrong version number|packet length too long|unknown protocol/i.test(detail)) {
        return context.security === 'tls'
          ? `port ${context.port} speaks plain SMTP first: set security to starttls (usually port 587), or use port 465 for implicit TLS.`
          : 'the server does not speak TLS the way it was asked: check the security setting and the port.';
      }
      if (/certificate|self[- ]signed|unable to verify|altnames/i.test(detail))
        return "the server's certificate is not trusted or does not name this host: use the host name on the certificate, or give the account the private CA's certificate (tlsCa).";
      if (/STARTTLS/i.test(detail))
        return 'the server does not offer STARTTLS: set security to tls on port 465 if it supports implicit TLS; plain SMTP (security none) only inside a trusted network.';
      return 'the TLS handshake failed: check the security setting and the port (465 implicit TLS, 587 STARTTLS).';
    case 'ehlo':
      if (/timeout|Greeting never received/i.test(detail) && context.security !== 'tls' && context.port === 465) {
        return 'port 465 expects implicit TLS from the first byte: set security to tls.';
      }
      return 'the server did not greet or answer EHLO in time: check the port and the security setting (465 implicit TLS, 587 STARTTLS).';
    case 'auth':
      return 'the server refused the login: check the user name (usually the full address) and the password or app password; some providers need SMTP AUTH enabled for the mailbox first.';
    case 'mail_from':
      return 'the server refused this From address for this login: use an address the mailbox may send as (its own, or one with send-as rights), and check the sending domain is verified with the provider.';
    case 'imap_login':
      if (PLAIN_ON_TLS.test(detail)) return plainOnTlsPort(context.imapPort ?? 993);
      if (/ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH/.test(detail))
        return 'the IMAP server cannot be reached: check the IMAP host and port (993 implicit TLS, 143 STARTTLS) and that a firewall lets this server through.';
      return 'the IMAP server refused the login: check the IMAP user name and password (an app password where the provider asks for one), and that IMAP is enabled for the mailbox; a shared mailbox has no password of its own: use a user with access to it and their credentials.';
    case 'sent_folder':
      return "name the mailbox's Sent folder in the account's sent-copy settings, exactly as the folder list shows it.";
  }
}

/** An IMAP server answered in plain text where implicit TLS was asked for. */
export function plainOnTlsPort(port: number): string {
  return `this port speaks plain text or STARTTLS: try --imap-security starttls (IMAP security "starttls" in the console and the API), usually on port 143; port ${port} was asked for implicit TLS, which is usually on 993.`;
}

/** Whether an IMAP failure is a TLS handshake answered in plain text. */
export function isPlainOnTls(detail: string): boolean {
  return PLAIN_ON_TLS.test(detail);
}
