import { describe, expect, it } from 'vitest';
import { cachingResolver } from '../../src/dns/index.ts';

function fakeDns(answers: Record<string, unknown>) {
  const calls: string[] = [];
  const resolver = async (name: string, rrtype: string): Promise<unknown> => {
    calls.push(`${rrtype} ${name}`);
    const answer = answers[`${rrtype.toUpperCase()} ${name.toLowerCase()}`];
    if (answer instanceof Error) throw answer;
    if (answer === undefined) throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
    return answer;
  };
  return { resolver, calls };
}

describe('DNS cache', () => {
  it('reuses answers and "no such name" until they expire, and never temporary failures', async () => {
    let now = 0;
    const servfail = Object.assign(new Error('servfail'), { code: 'ESERVFAIL' });
    const dns = fakeDns({ 'TXT example.org': [['v=spf1 -all']], 'TXT flaky.example': servfail });
    const cached = cachingResolver(dns.resolver, { ttlMs: 1000, negativeTtlMs: 500, maxEntries: 10, nowMs: () => now });

    expect(await cached('Example.ORG', 'txt')).toEqual([['v=spf1 -all']]);
    expect(await cached('example.org', 'TXT')).toEqual([['v=spf1 -all']]);
    await expect(cached('nowhere.example', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(cached('nowhere.example', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(cached('flaky.example', 'TXT')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    await expect(cached('flaky.example', 'TXT')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    expect(dns.calls).toEqual(['txt Example.ORG', 'A nowhere.example', 'TXT flaky.example', 'TXT flaky.example']);

    now = 600; // the negative answer expired, the positive one not yet
    await expect(cached('nowhere.example', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await cached('example.org', 'TXT');
    expect(dns.calls.filter((c) => c.includes('nowhere'))).toHaveLength(2);
    expect(dns.calls.filter((c) => c.toLowerCase().includes('example.org'))).toHaveLength(1);
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const dns = fakeDns({ 'A a.example': ['192.0.2.1'], 'A b.example': ['192.0.2.2'], 'A c.example': ['192.0.2.3'] });
    const cached = cachingResolver(dns.resolver, { ttlMs: 1000, negativeTtlMs: 1000, maxEntries: 2, nowMs: () => 0 });
    for (const name of ['a.example', 'b.example', 'c.example', 'a.example']) await cached(name, 'A');
    expect(dns.calls).toEqual(['A a.example', 'A b.example', 'A c.example', 'A a.example']);
  });
});
