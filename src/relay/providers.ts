// Provider presets: what `--provider` fills in (host, port, security) and the
// pacing each provider tolerates, so a new account starts with limits that keep
// it out of the provider's abuse throttling.
export type Security = 'tls' | 'starttls' | 'none';

export interface ProviderPreset {
  host: string | null;
  port: number;
  security: Security;
  /** Messages per minute and per day the provider allows one mailbox (0: no cap). */
  perMinute: number;
  perDay: number;
  /** The SPF include name of the provider, for `tenants check`. */
  spfInclude: string | null;
  /**
   * Where a copy of what the account sends ends up: `provider` when the provider
   * files it in Sent itself (Gmail, Microsoft 365), else the IMAP server that
   * mailroom appends it to (null: none known; the operator names one).
   */
  sentCopy: 'provider' | { host: string; port: number; security: Security } | null;
}

/** Exchange Online: 30 messages a minute and 10,000 recipients a day per mailbox; it files sent mail in Sent itself. */
const MICROSOFT_365 = {
  host: 'smtp.office365.com',
  port: 587,
  security: 'starttls',
  perMinute: 30,
  perDay: 10_000,
  spfInclude: 'spf.protection.outlook.com',
  sentCopy: 'provider',
} as const satisfies ProviderPreset;

export const PROVIDERS = {
  // Google Workspace: 2,000 messages a day per user; SMTP AUTH needs an app password or OAuth2.
  gmail: { host: 'smtp.gmail.com', port: 465, security: 'tls', perMinute: 60, perDay: 2000, spfInclude: '_spf.google.com', sentCopy: 'provider' },
  office365: MICROSOFT_365,
  outlook: MICROSOFT_365,
  // Amazon SES: the host names the region (email-smtp.<region>.amazonaws.com), so --host is required.
  ses: { host: null, port: 587, security: 'starttls', perMinute: 0, perDay: 0, spfInclude: 'amazonses.com', sentCopy: null },
  sendgrid: { host: 'smtp.sendgrid.net', port: 587, security: 'starttls', perMinute: 0, perDay: 0, spfInclude: 'sendgrid.net', sentCopy: null },
  // Zoho files SMTP-sent mail in Sent only when the mailbox is set to; appending is the sure way.
  zoho: {
    host: 'smtp.zoho.com',
    port: 465,
    security: 'tls',
    perMinute: 0,
    perDay: 0,
    spfInclude: 'zoho.com',
    sentCopy: { host: 'imap.zoho.com', port: 993, security: 'tls' },
  },
  custom: { host: null, port: 587, security: 'starttls', perMinute: 0, perDay: 0, spfInclude: null, sentCopy: null },
} as const satisfies Record<string, ProviderPreset>;

export type ProviderName = keyof typeof PROVIDERS;

export function isProvider(name: string): name is ProviderName {
  return Object.hasOwn(PROVIDERS, name);
}
