// Checking a mail server a tenant named (a sending account's SMTP server, the
// IMAP server of its Sent copies, an inbox read over IMAP) before we connect to
// it: the same rules as for webhook URLs (resolve once, every address public
// unless the operator allows private ones), and the one address to connect to,
// so a DNS answer that changes between the check and the connection cannot
// redirect it. Callers connect to `address` and keep `host` for TLS (SNI and
// the certificate check).
import { isIP } from 'node:net';
import type { DnsResolver } from '../dns/index.ts';
import { InvalidError } from '../errors.ts';
import { nonPublicRange } from './address-ranges.ts';
import { addressesOf, refusePrivate, type TargetRules } from './public-target.ts';

export interface CheckedHost {
  host: string;
  address: string;
  family: 4 | 6;
}

/** A mail server's host name or IP literal as given, without brackets or a trailing dot. */
export function bareHost(host: string): string {
  return host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** Letters, digits, hyphens (and underscores, seen in internal names) in dot-separated labels; a Unicode name in its xn-- form. */
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** The refusal of a host before any DNS: an IP literal or localhost outside the public internet. */
export function checkHostLiteral(given: string, rules: TargetRules): string {
  const host = bareHost(given);
  if (!isIP(host) && !HOST_NAME.test(host))
    throw new InvalidError(`${rules.what} "${given.slice(0, 200)}" is not a host name or IP address`, rules.field ?? null);
  if (rules.allowPrivateNetworks) return host;
  const range = isIP(host) ? nonPublicRange(host) : null;
  if (range) refusePrivate(rules, host, host, host, range);
  if (host === 'localhost' || host.endsWith('.localhost')) refusePrivate(rules, host, host, host, 'loopback (localhost)');
  return host;
}

/**
 * The address to connect to for a mail server: an IP literal as it is, a name
 * resolved once (A and AAAA) with every address public unless private ones are
 * allowed. `localhost` is loopback by definition (RFC 6761), never asked of DNS.
 */
export async function resolvePublicHost(given: string, resolver: DnsResolver, rules: TargetRules): Promise<CheckedHost> {
  const host = checkHostLiteral(given, rules);
  const literal = isIP(host);
  if (literal) return { host, address: host, family: literal as 4 | 6 };
  if (host === 'localhost' || host.endsWith('.localhost')) return { host, address: '127.0.0.1', family: 4 };
  const addresses = await addressesOf(host, resolver);
  if (!rules.allowPrivateNetworks) {
    for (const { address } of addresses) {
      const range = nonPublicRange(address);
      if (range) refusePrivate(rules, host, host, address, range);
    }
  }
  const first = addresses[0] as { address: string; family: 4 | 6 };
  return { host, address: first.address, family: first.family };
}

/** How a mail server a tenant named is checked before each connection. */
export interface MailServerGuard {
  resolver: DnsResolver;
  /** relay.allowPrivateNetworks: the operator allows private servers for every account and inbox. */
  allowPrivateNetworks: boolean;
}

/**
 * The rules for one account's or inbox's server: public only, unless the
 * operator allows private servers everywhere or set this one at the command line.
 */
export function mailServerRules(allowEverywhere: boolean, operatorSet: boolean, what: string, field?: string): TargetRules {
  return { allowPrivateNetworks: allowEverywhere || operatorSet, what, setting: 'relay.allowPrivateNetworks', ...(field ? { field } : {}) };
}

/** Resolves and checks the server of an account or inbox just before a connection to it. */
export async function checkedMailServer(guard: MailServerGuard, record: { privateHostAllowed: boolean }, host: string, what: string): Promise<CheckedHost> {
  return await resolvePublicHost(host, guard.resolver, mailServerRules(guard.allowPrivateNetworks, record.privateHostAllowed, what));
}
