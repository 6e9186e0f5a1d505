// What strangers on the network may do and reach. Outbound connections a tenant
// can point us at (webhook endpoints, and any host or URL given through the API)
// reach only the public internet: the address classes that lead into our own or
// a cloud's network are refused, and a connection goes to the address that was
// checked, never to a second DNS answer (no rebinding); the operator may allow
// private targets. Inbound, clients are counted by address (an IPv6 client by
// its /64) and held to rates.
export { nonPublicRange, RANGE_NAMES } from './address-ranges.ts';
export { checkTargetUrl, NoAddressError, resolvePublicTarget, type CheckedTarget, type TargetRules } from './public-target.ts';
export { bareHost, checkedMailServer, checkHostLiteral, mailServerRules, resolvePublicHost, type CheckedHost, type MailServerGuard } from './public-host.ts';
export { postPinned, type PinnedResponse } from './pinned-request.ts';
export { RateLimiter, TokenBucket } from './rate-limiter.ts';
export { clientKey } from './client-key.ts';
export { clientAddress, parseCidrs } from './client-address.ts';
