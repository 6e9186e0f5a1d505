// Who is believed to have sent a message: one row per way a From is proven,
// and per way it is not (auth/sender.ts).
import { describe, expect, it } from 'vitest';
import { aligned, authenticateSender, domainList, organizationalDomain } from '../../src/auth/sender.ts';

type Evidence = Parameters<typeof authenticateSender>[0];

function evidence(over: Partial<Evidence>): Evidence {
  return { dmarc: 'none', spf: 'none', fromAddresses: ['jane@example.org'], spfDomain: null, dkimDomains: [], arc: 'none', arcFindings: null, ...over };
}

const trusted = ['google.com', 'microsoft.com'];
const googleArc = { sealer: 'google.com', dmarc: 'pass', dmarcFrom: 'example.org', dkimPass: [] };

describe('sender authentication', () => {
  it.each([
    ['DMARC pass', { dmarc: 'pass' }, { authenticated: true, via: 'dmarc', address: 'jane@example.org' }],
    ['DMARC fail', { dmarc: 'fail', spf: 'pass', spfDomain: 'example.org' }, { authenticated: false, detail: 'DMARC fail for example.org' }],
    ['DMARC temperror on the last attempt', { dmarc: 'temperror', spf: 'pass', spfDomain: 'example.org' }, { authenticated: false }],
    ['DMARC permerror', { dmarc: 'permerror' }, { authenticated: false }],
    ['no DMARC record, SPF pass for the same domain', { spf: 'pass', spfDomain: 'example.org' }, { authenticated: true, via: 'spf_aligned' }],
    ['no DMARC record, SPF pass for a subdomain (relaxed)', { spf: 'pass', spfDomain: 'bounces.example.org' }, { authenticated: true, via: 'spf_aligned' }],
    ['no DMARC record, SPF pass for an unrelated domain', { spf: 'pass', spfDomain: 'mailer.example.net' }, { authenticated: false }],
    ['no DMARC record, SPF pass of the HELO name only (null sender)', { spf: 'pass', spfDomain: null }, { authenticated: false }],
    ['no DMARC record, SPF softfail', { spf: 'softfail', spfDomain: 'example.org' }, { authenticated: false }],
    ['no DMARC record, DKIM pass aligned', { dkimDomains: ['mail.example.org'] }, { authenticated: true, via: 'dkim_aligned' }],
    ['no DMARC record, DKIM pass of a third party only', { dkimDomains: ['sendgrid.net'] }, { authenticated: false }],
    ['no DMARC record, nothing at all', {}, { authenticated: false }],
    [
      'two From mailboxes',
      { dmarc: 'pass', fromAddresses: ['jane@example.org', 'mallory@evil.example'] },
      { authenticated: false, address: null, detail: 'the From field names 2 mailboxes' },
    ],
    ['no From mailbox', { dmarc: 'pass', fromAddresses: [] }, { authenticated: false, address: null }],
    ['a trusted ARC seal that saw DMARC pass', { dmarc: 'fail', arc: 'pass', arcFindings: googleArc }, { authenticated: true, via: 'arc' }],
    [
      "a trusted sealer's subdomain",
      { dmarc: 'fail', arc: 'pass', arcFindings: { ...googleArc, sealer: 'arc.google.com' } },
      { authenticated: true, via: 'arc' },
    ],
    [
      'a trusted ARC seal that saw an aligned DKIM pass',
      { arc: 'pass', arcFindings: { ...googleArc, dmarc: null, dmarcFrom: null, dkimPass: ['example.org'] } },
      { authenticated: true, via: 'arc' },
    ],
    [
      'an ARC seal from a sealer nobody trusts',
      { dmarc: 'fail', arc: 'pass', arcFindings: { ...googleArc, sealer: 'evil.example' } },
      { authenticated: false },
    ],
    ['a look-alike sealer domain', { dmarc: 'fail', arc: 'pass', arcFindings: { ...googleArc, sealer: 'notgoogle.com' } }, { authenticated: false }],
    [
      'a trusted seal that saw DMARC pass for another domain',
      { dmarc: 'fail', arc: 'pass', arcFindings: { ...googleArc, dmarcFrom: 'evil.example' } },
      { authenticated: false },
    ],
    ['a trusted seal that saw DMARC fail', { dmarc: 'fail', arc: 'pass', arcFindings: { ...googleArc, dmarc: 'fail' } }, { authenticated: false }],
    ['an ARC chain that did not verify', { dmarc: 'fail', arc: 'fail', arcFindings: googleArc }, { authenticated: false }],
  ])('%s', (_name, over, expected) => {
    expect(authenticateSender(evidence(over as Partial<Evidence>), trusted)).toMatchObject(expected);
  });

  it('finds organizational domains in the public suffix list, private suffixes included', () => {
    expect(organizationalDomain('mail.example.co.uk')).toBe('example.co.uk');
    expect(organizationalDomain('a.b.example.org')).toBe('example.org');
    expect(aligned('bounce.example.co.uk', 'example.co.uk')).toBe(true);
    // "last two labels" would say co.uk for both
    expect(aligned('one.co.uk', 'two.co.uk')).toBe(false);
    // two customers of one hosting suffix are two organizations
    expect(aligned('alice.github.io', 'bob.github.io')).toBe(false);
  });

  it('reads the trusted sealers from the configuration', () => {
    expect(domainList(' Google.com, microsoft.com. ,,')).toEqual(['google.com', 'microsoft.com']);
  });
});
