// One finding of `mailroom tenants check`: what was checked, on what, what was
// found, and what to do about it, in the customer's terms.
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  area: 'setup' | 'reply_domain' | 'sending_domain' | 'account' | 'forwarding' | 'imap_inbox';
  /** What it is about: a domain, an account, an inbox. */
  subject: string;
  check: string;
  status: CheckStatus;
  found: string;
  advice: string | null;
}

export const ok = (area: CheckResult['area'], subject: string, check: string, found: string): CheckResult => ({
  area,
  subject,
  check,
  status: 'ok',
  found,
  advice: null,
});
export const warn = (area: CheckResult['area'], subject: string, check: string, found: string, advice: string): CheckResult => ({
  area,
  subject,
  check,
  status: 'warn',
  found,
  advice,
});
export const fail = (area: CheckResult['area'], subject: string, check: string, found: string, advice: string): CheckResult => ({
  area,
  subject,
  check,
  status: 'fail',
  found,
  advice,
});
