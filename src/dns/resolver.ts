// The DNS resolver everything that resolves is handed: the system's DNS behind
// a small cache in production, a zone file offline and in tests.
import { Resolver } from 'node:dns/promises';
import { cachingResolver } from './cache.ts';
import type { DnsResolver } from './types.ts';
import { loadZoneFile } from './zone-file.ts';

export function systemResolver(timeoutMs = 5000): DnsResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  return (name, rrtype) => resolver.resolve(name, rrtype);
}

export function createResolver(settings: { zoneFile: string; timeoutMs: number }): DnsResolver {
  if (settings.zoneFile) return loadZoneFile(settings.zoneFile);
  return cachingResolver(systemResolver(settings.timeoutMs), { ttlMs: 5 * 60_000, negativeTtlMs: 60_000, maxEntries: 10_000 });
}
