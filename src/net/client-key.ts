// The unit a per-client limit counts. An IPv4 client is its address; an IPv6
// client is its /64, since one subscriber or server is routinely handed a whole
// /64 and could otherwise take a fresh address for every connection.
import { isIPv6 } from 'node:net';

export function clientKey(ip: string): string {
  const bare = ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  if (!isIPv6(bare)) return bare;
  const [head = '', tail] = bare.toLowerCase().replace(/%.*$/, '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
