// Recipient routing: is this address ours, and which tenant owns it? Only a
// tenant's reply domains (any local part, local+token) and its forwarding
// addresses are accepted. Everything else is refused: we never relay.
import { SmtpError } from '../errors.ts';
import { normalizeAddress, type RouteTable } from '../store/index.ts';
import { C550_MAILBOX_UNAVAILABLE, C550_RELAY_DENIED } from './replies.ts';

export interface RoutedRecipient {
  address: string;
  tenantId: number;
}

/**
 * Decides one RCPT. Throws SmtpError: 550 5.7.1 for domains we do not serve,
 * IP literals (RFC 5321 4.1.3) and route forms inside the local part (% and !
 * relaying hacks, RFC 1123 5.2.16); 550 5.1.1 for an unknown forwarding address
 * on a domain we do serve. Source routes (<@relay:user@host>) were already reduced
 * to the final mailbox by smtp-server as RFC 5321 appendix C asks, so the mailbox
 * alone is judged here.
 */
export function routeRecipient(rawAddress: string, tenants: RouteTable): RoutedRecipient {
  const at = rawAddress.lastIndexOf('@');
  const domainPart = at >= 0 ? rawAddress.slice(at + 1) : '';
  if (at <= 0 || domainPart.startsWith('[')) throw new SmtpError(C550_RELAY_DENIED);
  const localPart = rawAddress.slice(0, at);
  if (/[%!]/.test(localPart) || localPart.includes('@')) throw new SmtpError(C550_RELAY_DENIED);
  const address = normalizeAddress(rawAddress);
  if (!address) throw new SmtpError(C550_RELAY_DENIED);
  const route = tenants.routeFor(address);
  if (route) return { address, tenantId: route.tenantId };
  const domain = address.slice(address.lastIndexOf('@') + 1);
  throw new SmtpError(tenants.servesDomain(domain) ? C550_MAILBOX_UNAVAILABLE : C550_RELAY_DENIED);
}
