// The DNS resolver the authentication checks use, injected everywhere: the
// system's DNS in production, a zone file offline and in tests. Its shape is
// mailauth's: resolver(name, rrtype) resolving like dns.promises.resolve.
import { Resolver } from 'node:dns/promises';
import { cachingResolver } from './dns-cache.ts';
import { loadZoneFile } from './zone-resolver.ts';

export type DnsResolver = (name: string, rrtype: string) => Promise<unknown>;

/** DNS error codes that mean "try again later", never "no such record". */
export const TEMPORARY_DNS_CODES = new Set(['ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EREFUSED', 'ECANCELLED', 'EAI_AGAIN']);

export function systemResolver(timeoutMs = 5000): DnsResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  return (name, rrtype) => resolver.resolve(name, rrtype);
}

export function createResolver(settings: { zoneFile: string; timeoutMs: number }): DnsResolver {
  if (settings.zoneFile) return loadZoneFile(settings.zoneFile);
  return cachingResolver(systemResolver(settings.timeoutMs), { ttlMs: 5 * 60_000, negativeTtlMs: 60_000, maxEntries: 10_000 });
}
