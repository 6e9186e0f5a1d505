// The resolver's shape, mailauth's: resolver(name, rrtype) resolving like
// dns.promises.resolve, and the error codes that mean "ask again later".
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown>;

/** DNS error codes that mean "try again later", never "no such record". */
export const TEMPORARY_DNS_CODES = new Set(['ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EREFUSED', 'ECANCELLED', 'EAI_AGAIN']);
