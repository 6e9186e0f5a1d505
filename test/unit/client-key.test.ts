// What a per-client limit counts: an IPv4 address, or an IPv6 /64.
import { describe, expect, it } from 'vitest';
import { clientAddress, clientKey, parseCidrs, RateLimiter } from '../../src/net/index.ts';
import { DownloadBudget } from '../../src/http/send-file.ts';
import { ConnectionLimiter } from '../../src/smtp/connection-limits.ts';

describe('client keys', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s counts as %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });

  it('makes every address of one IPv6 /64 share the connection limit', () => {
    const limiter = new ConnectionLimiter(2);
    expect(limiter.admit('s1', clientKey('2001:db8:1:2::1'))).toBe(true);
    expect(limiter.admit('s2', clientKey('2001:db8:1:2::99'))).toBe(true);
    expect(limiter.admit('s3', clientKey('2001:db8:1:2:dead:beef:0:1'))).toBe(false);
    expect(limiter.admit('s4', clientKey('2001:db8:1:3::1'))).toBe(true);
  });
});

describe('the client of an HTTP request', () => {
  const parsed = parseCidrs('10.0.0.0/8, 192.0.2.1, 2001:db8::/32');
  const trusted = 'list' in parsed ? parsed.list : null;
  it.each([
    ['a socket that is no proxy: the header is ignored', '198.51.100.5', '203.0.113.1', '198.51.100.5'],
    ['no header: the socket', '10.0.0.1', undefined, '10.0.0.1'],
    ['behind one proxy: the address it saw', '10.0.0.1', '203.0.113.1', '203.0.113.1'],
    ['what the client wrote itself, left of it, is not believed', '10.0.0.1', '1.2.3.4, 203.0.113.1', '203.0.113.1'],
    ['through two listed proxies: the right-most unlisted', '192.0.2.1', '1.2.3.4, 203.0.113.1, 10.2.3.4', '203.0.113.1'],
    ['an IPv4-mapped socket and hop', '::ffff:10.0.0.1', '::ffff:203.0.113.1', '203.0.113.1'],
    ['IPv6 proxies', '2001:db8::1', '2001:db8:1::2, 2a00:1450::1', '2a00:1450::1'],
    ['every hop a proxy: the left-most', '10.0.0.1', '10.0.0.2, 10.0.0.3', '10.0.0.2'],
    ['garbage ends the walk at the last hop known', '10.0.0.1', '203.0.113.1, not-an-ip', '10.0.0.1'],
  ])('%s', (_what, socket, header, client) => {
    expect(clientAddress(socket, header, trusted)).toBe(client);
  });

  it('is the socket when no proxy is listed, and a list names the entry that is not an address', () => {
    expect(clientAddress('10.0.0.1', '203.0.113.1', null)).toBe('10.0.0.1');
    expect(parseCidrs('')).toMatchObject({ count: 0 });
    expect(parseCidrs('10.0.0.0/8, 10.0.0.0/33')).toEqual({ error: expect.stringContaining('"10.0.0.0/33"') });
    expect(parseCidrs('proxy.example')).toEqual({ error: expect.stringContaining('"proxy.example"') });
  });
});

describe('rate limiter', () => {
  it('lets a burst up to the limit through, then refills at the rate', () => {
    let now = 0;
    const limiter = new RateLimiter<string>(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBe(0);
    now += 1000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
    now += 120_000;
    for (let i = 0; i < 60; i++) expect(limiter.take('a')).toBe(0);
  });
});

describe('download budget', () => {
  it('lets a chunk through at once, then makes the next wait for its share of the rate; 0 means no limit', () => {
    const budget = new DownloadBudget(1); // 1 MB/s: a burst of one 256 KB chunk
    expect(budget.reserve(256 * 1024)).toBe(0);
    // The next 256 KB is owed: about a quarter of a second at 1 MB/s.
    const wait = budget.reserve(256 * 1024);
    expect(wait).toBeGreaterThan(200);
    expect(wait).toBeLessThanOrEqual(260);
    expect(new DownloadBudget(0).reserve(1e9)).toBe(0);
  });
});
