// Who the client of an HTTP request is. Behind a TLS proxy every socket comes
// from the proxy, so a per-client limit keyed on the socket counts everyone as
// one client (one guesser locks everybody out). The proxy names the client in
// X-Forwarded-For, but so can anyone: the header is believed only when the
// socket is one of the operator's listed proxies (http.trustedProxies), and
// then read from the right, since each proxy appends the address it saw and
// only the entries our own proxies wrote are true; the client is the right-most
// address that is not itself a trusted proxy.
import { BlockList, isIP } from 'node:net';

/** The CIDRs of a comma-separated list (a bare address is its own /32 or /128), or a message naming the entry that is not one. */
export function parseCidrs(spec: string): { list: BlockList; count: number } | { error: string } {
  const list = new BlockList();
  let count = 0;
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || extra !== undefined || !(bits >= 0 && bits <= max))
      return { error: `"${entry}" is not an IP address or CIDR (192.0.2.0/24, 2001:db8::/32)` };
    list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
    count++;
  }
  return { list, count };
}

/** An address as BlockList judges it: an IPv4-mapped IPv6 address by its IPv4 address. */
function plain(ip: string): string {
  return ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

function within(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client's address: the socket's, unless the socket is a trusted proxy;
 * then the right-most X-Forwarded-For entry that is not one (all of them
 * trusted: the left-most). An entry that is not an address ends the walk: the
 * hop before it is the last one known to be true.
 */
export function clientAddress(socket: string, forwardedFor: string | undefined, trusted: BlockList | null): string {
  let client = plain(socket);
  if (!trusted || !forwardedFor || !within(trusted, client)) return client;
  const hops = forwardedFor.split(',').map((h) => plain(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!within(trusted, hop)) return hop;
  }
  return client;
}
