// Where an account or inbox may connect, checked when it is saved: a server a
// tenant names (console, API) must be on the public internet, unless the
// operator allows private ones for everyone (relay.allowPrivateNetworks). The
// operator at the command line may name a private server for one account or
// inbox; that permission is recorded on it and lost when anyone else changes
// where it connects. The same rules hold again at every connection
// (net/public-host.ts), since a name may resolve elsewhere later.
import { InvalidError } from '../errors.ts';
import { checkHostLiteral, mailServerRules, resolvePublicHost } from '../net/index.ts';
import type { Context } from '../context.ts';
import type { Reach } from './reach.ts';

/** The operator at the command line: may set servers on private networks. */
export function isOperator(reach: Reach): boolean {
  return reach.operator === true;
}

/**
 * The server as saved (lower case, no brackets or trailing dot), refused when
 * the caller may not name it: an IP literal or localhost outside the public
 * internet at once, a name by every address it resolves to now.
 */
export async function checkedServerHost(ctx: Pick<Context, 'resolver' | 'config'>, reach: Reach, host: string, what: string, field: string): Promise<string> {
  const rules = mailServerRules(ctx.config.relay.allowPrivateNetworks, isOperator(reach), what, field);
  const bare = checkHostLiteral(host, rules);
  if (!rules.allowPrivateNetworks) await resolvePublicHost(bare, ctx.resolver, rules);
  return bare;
}

/** A PEM certificate (or several) to trust for the server's TLS, or null for the public CAs. */
export function checkedTlsCa(text: string | null | undefined): string | null {
  const pem = text?.trim() ?? '';
  if (!pem) return null;
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new InvalidError('the CA file holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)', 'tlsCa');
  return text as string;
}
