// The checks an account's settings pass, whether added or edited: each says
// what is wrong with which field.
import { InvalidError } from '../errors.ts';
import { normalizeAddress } from '../store/index.ts';

export type Security = 'tls' | 'starttls' | 'none';

export function checkedSecurity(security: string, allowPlain: boolean | undefined): Security {
  if (security !== 'tls' && security !== 'starttls' && security !== 'none')
    throw new InvalidError('security must be tls (implicit, port 465), starttls (587) or none', 'security');
  if (security === 'none' && !allowPlain)
    throw new InvalidError('security none sends the password in the clear; allow it explicitly if this server is on a trusted network', 'allowPlain');
  return security;
}

export function checkedPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidError('the port must be from 1 to 65535', 'port');
  return port;
}

export function checkedFrom(from: string): string {
  const address = normalizeAddress(from);
  if (!address) throw new InvalidError(`"${from}" is not an email address`, 'from');
  return address;
}

/** The local part of the Reply-To before +token. */
export function checkedReplyLocal(replyTo: string): string {
  const local = replyTo.toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(local))
    throw new InvalidError('the reply-to is the local part before +token (letters, digits, . _ -), e.g. careers', 'replyTo');
  return local;
}

export function checkedDelay(delayMs: number): number {
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 3_600_000) throw new InvalidError('the delay between emails is from 0 to 3600000 ms', 'delayMs');
  return delayMs;
}
