// DNS for everything that resolves (authentication, the tenant checks, webhook
// and account targets, the relay): one injected resolver with mailauth's shape,
// the system's behind a cache in production, a static zone file offline and in
// tests (which never touch real DNS).
export { createResolver, systemResolver } from './resolver.ts';
export { TEMPORARY_DNS_CODES, type DnsResolver } from './types.ts';
export { loadZoneFile, parseZone, zoneResolver, ZoneFileError } from './zone-file.ts';
export { cachingResolver, type DnsCacheOptions } from './cache.ts';
