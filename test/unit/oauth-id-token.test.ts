// The id token's claims that must hold before a provider sign-in names a mailbox.
import { describe, expect, it } from 'vitest';
import { verifiedMailbox, type IdTokenRules } from '../../src/operations/oauth-id-token.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const token = (claims: Record<string, unknown>): string =>
  ['{"alg":"RS256"}', JSON.stringify(claims)].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.sig';
const google: IdTokenRules = { provider: 'google', issuer: 'https://accounts.google.com', clientId: 'client-1', nowMs: NOW };
const microsoft: IdTokenRules = { provider: 'microsoft', issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', clientId: 'client-1', nowMs: NOW };
const exp = NOW / 1000 + 600;
const good = { iss: 'https://accounts.google.com', aud: 'client-1', exp, email: 'jobs@acme.com', email_verified: true };

describe('verifiedMailbox', () => {
  it.each([
    ['a good Google token', google, good],
    ["Google's issuer without the scheme", google, { ...good, iss: 'accounts.google.com' }],
    ['several audiences with ours as the authorized party', google, { ...good, aud: ['client-1', 'other'], azp: 'client-1' }],
    ['expiry within the allowed clock skew', google, { ...good, exp: NOW / 1000 - 60 }],
    [
      "Microsoft, its directory's issuer and xms_edov",
      microsoft,
      { iss: 'https://login.microsoftonline.com/dir-1/v2.0', tid: 'dir-1', aud: 'client-1', exp, email: 'jobs@acme.com', xms_edov: true },
    ],
  ])('accepts %s', (_what, rules, claims) => {
    expect(verifiedMailbox(token(claims), rules)).toBe('jobs@acme.com');
  });

  it.each([
    ['no id token', google, undefined, 'invalid_id_token'],
    ['an unreadable one', google, 'a.!!!.b', 'invalid_id_token'],
    ['another issuer', google, token({ ...good, iss: 'https://evil.example' }), 'wrong_issuer'],
    ['another audience', google, token({ ...good, aud: 'client-2' }), 'wrong_audience'],
    ['several audiences, another authorized party', google, token({ ...good, aud: ['client-1', 'x'], azp: 'x' }), 'wrong_audience'],
    ['expired', google, token({ ...good, exp: NOW / 1000 - 600 }), 'expired_id_token'],
    ['no expiry', google, token({ ...good, exp: undefined }), 'expired_id_token'],
    ['an unverified address', google, token({ ...good, email_verified: false }), 'unverified_email'],
    [
      "Microsoft's sign-in name only",
      microsoft,
      token({ iss: 'https://login.microsoftonline.com/d/v2.0', tid: 'd', aud: 'client-1', exp, preferred_username: 'ceo@acme.com' }),
      'no_email',
    ],
    [
      'Microsoft, email without xms_edov',
      microsoft,
      token({ iss: 'https://login.microsoftonline.com/d/v2.0', tid: 'd', aud: 'client-1', exp, email: 'ceo@acme.com' }),
      'unverified_email',
    ],
    [
      "Microsoft, another directory's issuer",
      microsoft,
      token({ iss: 'https://login.microsoftonline.com/other/v2.0', tid: 'd', aud: 'client-1', exp, email: 'a@b.c', xms_edov: true }),
      'wrong_issuer',
    ],
  ])('refuses %s', (_what, rules, idToken, code) => {
    expect(() => verifiedMailbox(idToken, rules)).toThrow(expect.objectContaining({ code }));
  });
});
