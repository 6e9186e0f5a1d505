// Authentication of received mail: SPF, DKIM, DMARC and ARC via mailauth, with
// the DNS resolver injected (system DNS, or a static zone file offline/in tests).
export { authenticateSender, domainList, organizationalDomain, type SenderAuthentication, type SenderAuthMethod } from './sender.ts';
export { authenticateGroup, authenticateMessage, TemporaryAuthError, type AuthVerdicts, type AuthResult } from './authenticate.ts';
export { createResolver, systemResolver, TEMPORARY_DNS_CODES, type DnsResolver } from './resolver.ts';
export { loadZoneFile, parseZone, zoneResolver, ZoneFileError } from './zone-resolver.ts';
export { cachingResolver, type DnsCacheOptions } from './dns-cache.ts';
