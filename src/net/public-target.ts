// Checking a URL a tenant gave us before we connect to it: the scheme, the
// address class of an IP literal, and every address its host name resolves to.
import { isIP } from 'node:net';
import type { DnsResolver } from '../dns/index.ts';
import { RefusedError } from '../errors.ts';
import { nonPublicRange } from './address-ranges.ts';

export interface TargetRules {
  /** The operator allows targets on loopback, private and other non-public addresses. */
  allowPrivateNetworks: boolean;
  /** What the URL is, for the error ("webhook URL"). */
  what: string;
  /** The setting that allows private targets, named in the refusal (default: webhooks.allowPrivateNetworks). */
  setting?: string;
  /** The input the target came from, for an invalid one (`host`, `imapHost`). */
  field?: string;
}

/** A host name without an address: NXDOMAIN or no records when `resolverFailures` is empty, else the resolver failed (SERVFAIL, a timeout). */
export class NoAddressError extends RefusedError {
  readonly resolverFailures: readonly string[];
  constructor(host: string, resolverFailures: readonly string[]) {
    super(`${host} has no address${resolverFailures.length ? ` (${resolverFailures.join(', ')})` : ''}; check the host name`);
    this.resolverFailures = resolverFailures;
  }
}

export interface CheckedTarget {
  url: URL;
  /** The address to connect to: the one that was checked. */
  address: string;
  family: 4 | 6;
}

/** The host of a URL without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The refusal of a target on a non-public address, naming the rule and the setting that lifts it. */
export function refusePrivate(rules: TargetRules, shown: string, host: string, address: string, range: string): never {
  const via = address === host ? '' : ` (${host} resolves to ${address})`;
  throw new RefusedError(
    `${rules.what} ${shown} is on a ${range} address${via}; only public internet addresses are allowed (an operator may set ${rules.setting ?? 'webhooks.allowPrivateNetworks'} for servers on their own network)`,
    rules.field ?? null,
  );
}

/**
 * The URL parsed and checked without DNS: http or https, and https unless the
 * operator allows private targets (http is for a receiver on their own network);
 * an IP literal must be public unless private targets are allowed.
 */
export function checkTargetUrl(text: string, rules: TargetRules): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RefusedError(`${rules.what} "${text.slice(0, 200)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RefusedError(`${rules.what} must be https:// (got ${url.protocol})`);
  if (url.username || url.password) throw new RefusedError(`${rules.what} must not carry a user name or password; the payload is signed instead`);
  const host = hostOf(url);
  const range = isIP(host) ? nonPublicRange(host) : null;
  if (range && !rules.allowPrivateNetworks) refusePrivate(rules, url.origin, host, host, range);
  if ((host === 'localhost' || host.endsWith('.localhost')) && !rules.allowPrivateNetworks)
    refusePrivate(rules, url.origin, host, host, 'loopback (localhost)');
  if (url.protocol === 'http:' && !rules.allowPrivateNetworks)
    throw new RefusedError(
      `${rules.what} must be https://: plain http is allowed only for receivers on the operator's own network (webhooks.allowPrivateNetworks)`,
    );
  return url;
}

export async function addressesOf(host: string, resolver: DnsResolver): Promise<{ address: string; family: 4 | 6 }[]> {
  const found: { address: string; family: 4 | 6 }[] = [];
  const failures: string[] = [];
  for (const [rrtype, family] of [
    ['A', 4],
    ['AAAA', 6],
  ] as const) {
    try {
      const answer = (await resolver(host, rrtype)) as unknown;
      if (Array.isArray(answer)) for (const a of answer) if (typeof a === 'string' && isIP(a) === family) found.push({ address: a, family });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code !== 'ENODATA' && code !== 'ENOTFOUND') failures.push(`${rrtype} ${code}`);
    }
  }
  if (found.length === 0) throw new NoAddressError(host, failures);
  return found;
}

/**
 * The address to connect to for a checked URL: the host's addresses are
 * resolved once, and every one must be public (unless private targets are
 * allowed), so a name with one public and one private address is refused too.
 * The caller connects to the returned address and no other.
 */
export async function resolvePublicTarget(url: URL, resolver: DnsResolver, rules: TargetRules): Promise<CheckedTarget> {
  const host = hostOf(url);
  const literal = isIP(host);
  const addresses = literal ? [{ address: host, family: literal as 4 | 6 }] : await addressesOf(host, resolver);
  if (!rules.allowPrivateNetworks) {
    for (const { address } of addresses) {
      const range = nonPublicRange(address);
      if (range) refusePrivate(rules, url.origin, host, address, range);
    }
  }
  const first = addresses[0] as { address: string; family: 4 | 6 };
  return { url, address: first.address, family: first.family };
}
