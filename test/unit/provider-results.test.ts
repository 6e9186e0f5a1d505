// What a provider's Authentication-Results prove about a message read over IMAP
// (auth/provider-results.ts): only the topmost field of the header block, only
// with the trusted authserv-id, and a DMARC verdict only for the From judged.
import { describe, expect, it } from 'vitest';
import { topmostResults, verdictsFromProvider } from '../../src/auth/provider-results.ts';

const PROVIDER = 'mx.provider.test';

function message(fields: readonly string[], from = 'Jane Doe <jane@candidate.example>'): Buffer {
  return Buffer.from([...fields, `From: ${from}`, 'To: jobs@acme.com', 'Subject: hello', '', 'Hello.', ''].join('\r\n'));
}

const pass = (domain: string, id = PROVIDER): string =>
  `Authentication-Results: ${id}; spf=pass smtp.mailfrom=${domain}; dkim=pass header.d=${domain}; dmarc=pass header.from=${domain}`;
const received = 'Received: from mail.candidate.example (mail.candidate.example [192.0.2.7]) by mx.provider.test; Fri, 4 Dec 2026 10:00:00 +0000';

describe('the provider verdicts of a message read over IMAP', () => {
  it.each([
    ['the provider stamped DMARC pass for the From domain', [received, pass('candidate.example')], undefined, { authenticated: true, via: 'dmarc' }],
    ['the header.from is another domain than the From', [pass('attacker.example')], undefined, { authenticated: false }],
    ['DMARC pass with no header.from at all', [`Authentication-Results: ${PROVIDER}; dmarc=pass`], undefined, { authenticated: false }],
    ['header.from differs only in case and a trailing dot', [pass('Candidate.Example.')], undefined, { authenticated: true, via: 'dmarc' }],
    ['two From mailboxes', [pass('candidate.example')], 'jane@candidate.example, mallory@attacker.example', { authenticated: false }],
    [
      'the trusted id lower down, under a field the provider did not write',
      [pass('candidate.example', 'mx.other.example'), received, pass('candidate.example')],
      undefined,
      { authenticated: false },
    ],
    [
      'the trusted id lower down, under the provider Received (a sender-written copy)',
      [received, 'Authentication-Results: mx.provider.test; dmarc=none header.from=candidate.example', received, pass('candidate.example')],
      undefined,
      { authenticated: false },
    ],
    ['another authserv-id only', [pass('candidate.example', 'mx.forged.example')], undefined, { authenticated: false }],
    ['no Authentication-Results at all', [received], undefined, { authenticated: false }],
    [
      'DMARC for another domain is disregarded, an aligned DKIM pass still counts',
      [`Authentication-Results: ${PROVIDER}; dkim=pass header.d=candidate.example; dmarc=pass header.from=attacker.example`],
      undefined,
      { authenticated: true, via: 'dkim_aligned' },
    ],
  ] as const)('%s', (_name, fields, from, expected) => {
    const verdicts = verdictsFromProvider(message(fields, from), PROVIDER, []);
    expect(verdicts.sender).toMatchObject(expected);
  });

  it('says why a DMARC pass for another domain does not count', () => {
    const verdicts = verdictsFromProvider(message([pass('attacker.example')]), PROVIDER, []);
    expect(verdicts).toMatchObject({ dmarc: 'none', dmarcDomain: null });
    expect(verdicts.sender.detail).toMatch(/DMARC verdict is for attacker\.example, not for the From domain candidate\.example/);
  });

  it('names no trusted provider when the inbox names none', () => {
    expect(verdictsFromProvider(message([pass('candidate.example')]), null, []).sender).toMatchObject({ authenticated: false });
  });

  it.each([
    ['the topmost field names its authserv-id', [received, pass('candidate.example', 'MX.Provider.Test'), pass('x.example', 'other')], 'mx.provider.test'],
    ['no field', [received], null],
  ] as const)('topmost Authentication-Results: %s', (_name, fields, id) => {
    expect(topmostResults(message(fields))?.authservId ?? null).toBe(id);
  });
});
