// Tests never touch real DNS: every resolver call throws, and lookup() answers
// only for IP literals and localhost. Anything that needs DNS takes an injected
// resolver instead.
import dns from 'node:dns';
import { isIP } from 'node:net';
import { syncBuiltinESMExports } from 'node:module';

function refuse(name: string): Error {
  return new Error(`real DNS is forbidden in tests (asked for ${name}); inject a resolver`);
}

const realLookup = dns.lookup;
const guardedLookup = ((hostname: string, ...rest: unknown[]) => {
  if (isIP(hostname) || hostname === 'localhost') return (realLookup as (...a: unknown[]) => unknown)(hostname, ...rest);
  throw refuse(hostname);
}) as typeof dns.lookup;
dns.lookup = guardedLookup;

for (const name of [
  'resolve',
  'resolve4',
  'resolve6',
  'resolveMx',
  'resolveTxt',
  'resolveCname',
  'resolveNs',
  'resolvePtr',
  'resolveSrv',
  'resolveAny',
  'reverse',
] as const) {
  (dns as unknown as Record<string, unknown>)[name] = (host: string) => {
    throw refuse(host);
  };
  (dns.promises as unknown as Record<string, unknown>)[name] = async (host: string) => {
    throw refuse(host);
  };
}
dns.Resolver.prototype.resolve = function resolve(host: string) {
  throw refuse(host);
} as unknown as typeof dns.Resolver.prototype.resolve;
dns.promises.Resolver.prototype.resolve = async function resolve(host: string) {
  throw refuse(host);
} as unknown as typeof dns.promises.Resolver.prototype.resolve;
syncBuiltinESMExports();
