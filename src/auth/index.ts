// Authentication of received mail: SPF, DKIM, DMARC and ARC via mailauth, with
// the DNS resolver injected (dns/: system DNS, or a static zone file offline/in tests).
export { authenticateSender, domainList, organizationalDomain, type SenderAuthentication, type SenderAuthMethod } from './sender.ts';
export { authenticateGroup, authenticateMessage, TemporaryAuthError, type AuthVerdicts, type AuthResult } from './authenticate.ts';
