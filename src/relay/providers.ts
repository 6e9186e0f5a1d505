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
}

export const PROVIDERS = {
  // Google Workspace: 2,000 messages a day per user; SMTP AUTH needs an app password or OAuth2.
  gmail: { host: 'smtp.gmail.com', port: 465, security: 'tls', perMinute: 60, perDay: 2000, spfInclude: '_spf.google.com' },
  // Exchange Online: 30 messages a minute and 10,000 recipients a day per mailbox.
  office365: { host: 'smtp.office365.com', port: 587, security: 'starttls', perMinute: 30, perDay: 10_000, spfInclude: 'spf.protection.outlook.com' },
  outlook: { host: 'smtp.office365.com', port: 587, security: 'starttls', perMinute: 30, perDay: 10_000, spfInclude: 'spf.protection.outlook.com' },
  // Amazon SES: the host names the region (email-smtp.<region>.amazonaws.com), so --host is required.
  ses: { host: null, port: 587, security: 'starttls', perMinute: 0, perDay: 0, spfInclude: 'amazonses.com' },
  sendgrid: { host: 'smtp.sendgrid.net', port: 587, security: 'starttls', perMinute: 0, perDay: 0, spfInclude: 'sendgrid.net' },
  zoho: { host: 'smtp.zoho.com', port: 465, security: 'tls', perMinute: 0, perDay: 0, spfInclude: 'zoho.com' },
  custom: { host: null, port: 587, security: 'starttls', perMinute: 0, perDay: 0, spfInclude: null },
} as const satisfies Record<string, ProviderPreset>;

export type ProviderName = keyof typeof PROVIDERS;

export function isProvider(name: string): name is ProviderName {
  return Object.hasOwn(PROVIDERS, name);
}
