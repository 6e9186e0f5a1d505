// Which IP addresses are not on the public internet, by class, with the name
// an operator reads in the refusal. IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
// (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d, RFC 6145), NAT64
// (64:ff9b::a.b.c.d, RFC 6052) and 6to4 (2002:AABB:CCDD::, RFC 3056) forms are
// judged by the IPv4 address they carry, so a private address cannot hide
// inside an IPv6 one.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

type Family = 'ipv4' | 'ipv6';

/** [class, network, prefix length, family]; the first that contains an address names it. */
const RANGES: readonly [string, string, number, Family][] = [
  ['unspecified (0.0.0.0/8)', '0.0.0.0', 8, 'ipv4'],
  ['private (RFC 1918, 10/8)', '10.0.0.0', 8, 'ipv4'],
  ['CGNAT shared space (100.64/10)', '100.64.0.0', 10, 'ipv4'],
  ['loopback (127/8)', '127.0.0.0', 8, 'ipv4'],
  ['link-local (169.254/16, cloud metadata)', '169.254.0.0', 16, 'ipv4'],
  ['private (RFC 1918, 172.16/12)', '172.16.0.0', 12, 'ipv4'],
  ['IETF protocol assignments (192.0.0/24)', '192.0.0.0', 24, 'ipv4'],
  ['private (RFC 1918, 192.168/16)', '192.168.0.0', 16, 'ipv4'],
  ['benchmarking (198.18/15)', '198.18.0.0', 15, 'ipv4'],
  ['multicast (224/4)', '224.0.0.0', 4, 'ipv4'],
  ['reserved and broadcast (240/4)', '240.0.0.0', 4, 'ipv4'],
  ['unspecified (::)', '::', 128, 'ipv6'],
  // Translated by the operator's own gateway to any IPv4 address it reaches, private ones included.
  ['local-use NAT64 (64:ff9b:1::/48)', '64:ff9b:1::', 48, 'ipv6'],
  ['discard-only (100::/64)', '100::', 64, 'ipv6'],
  // A tunnel whose far end is an obfuscated IPv4 address: never a mail server.
  ['Teredo (2001::/32)', '2001::', 32, 'ipv6'],
  ['loopback (::1)', '::1', 128, 'ipv6'],
  ['unique-local (fc00::/7)', 'fc00::', 7, 'ipv6'],
  ['link-local (fe80::/10)', 'fe80::', 10, 'ipv6'],
  ['site-local (fec0::/10)', 'fec0::', 10, 'ipv6'],
  ['multicast (ff00::/8)', 'ff00::', 8, 'ipv6'],
];

export const RANGE_NAMES: readonly string[] = RANGES.map(([name]) => name);

const lists = RANGES.map(([name, network, prefix, family]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { name, family, list };
});

/** The eight 16-bit groups of an IPv6 address (with an embedded dotted quad expanded). */
function groupsOf(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1]) {
    const [a, b, c, d] = quad[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -quad[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

const dotted = (high: number, low: number): string => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/** The IPv4 address an IPv6 one carries (mapped, compatible, translated, NAT64, 6to4), or null. */
function embeddedIpv4(ip: string): string | null {
  const g = groupsOf(ip);
  if (g.length !== 8 || g.some((x) => Number.isNaN(x))) return null;
  const [g0, g1 = 0, g2 = 0, g3, g4, g5, g6 = 0, g7 = 0] = g;
  // 6to4 carries it in the second and third groups.
  if (g0 === 0x2002) return dotted(g1, g2);
  const zeroHead = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0;
  const mapped = zeroHead && g4 === 0 && g5 === 0xffff;
  const translated = zeroHead && g4 === 0xffff && g5 === 0;
  const compatible = zeroHead && g4 === 0 && g5 === 0 && (g6 !== 0 || g7 > 1);
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (!mapped && !translated && !compatible && !nat64) return null;
  return dotted(g6, g7);
}

/** The class of a non-public address ("loopback (127/8)"), or null for a public one (or not an IP). */
export function nonPublicRange(ip: string): string | null {
  if (isIPv4(ip)) return lists.find((l) => l.family === 'ipv4' && l.list.check(ip, 'ipv4'))?.name ?? null;
  if (!isIPv6(ip)) return null;
  const inner = embeddedIpv4(ip);
  if (inner) {
    const range = nonPublicRange(inner);
    return range ? `${range}, in IPv6 form` : null;
  }
  return lists.find((l) => l.family === 'ipv6' && l.list.check(ip, 'ipv6'))?.name ?? null;
}
