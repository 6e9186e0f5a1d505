// Reply tokens: issued, verified, bound to the tenant, rotating keys, and what a
// forged or altered token looks like.
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReplyTokens, tokenOfLocalPart } from '../../src/match/tokens.ts';

const keyA = { kid: 'a', secret: randomBytes(32) };
const keyB = { kid: 'b', secret: randomBytes(32) };

describe('reply tokens', () => {
  it('round-trips, short, lower-case base32, case-insensitive', () => {
    const tokens = new ReplyTokens([keyA]);
    for (const conversationId of [1, 31, 32, 1_000_000, 2 ** 40]) {
      const token = tokens.issue(5, conversationId);
      expect(token).toMatch(/^[a-z2-7]{15,24}$/);
      expect(tokens.verify(token, [5])).toEqual({ tenantId: 5, conversationId, kid: 'a' });
      expect(tokens.verify(token.toUpperCase(), [5])?.conversationId).toBe(conversationId);
    }
  });

  it('is bound to the tenant: another tenant cannot use it, a parent in the chain can be the issuer', () => {
    const tokens = new ReplyTokens([keyA]);
    const token = tokens.issue(5, 42);
    expect(tokens.verify(token, [6])).toBeNull();
    expect(tokens.verify(token, [6, 5])).toEqual({ tenantId: 5, conversationId: 42, kid: 'a' });
  });

  it('rejects every altered character and tokens signed with an unknown key', () => {
    const tokens = new ReplyTokens([keyA]);
    const token = tokens.issue(1, 12345);
    for (let i = 0; i < token.length; i++) {
      const other = token[i] === 'q' ? 'r' : 'q';
      expect(tokens.verify(token.slice(0, i) + other + token.slice(i + 1), [1]), `position ${i}`).toBeNull();
    }
    expect(new ReplyTokens([keyB]).verify(token, [1])).toBeNull();
  });

  it('after a rotation the new key signs and old tokens still verify', () => {
    const before = new ReplyTokens([keyA]).issue(1, 7);
    const rotated = new ReplyTokens([keyB, keyA]);
    expect(rotated.issue(1, 7)[0]).toBe('b');
    expect(rotated.verify(before, [1])?.kid).toBe('a');
  });

  it('carries at least 64 bits of MAC (13 base32 characters after the key id and conversation)', () => {
    const tokens = new ReplyTokens([keyA]);
    // conversation 1 is one character: kid + 1 + MAC
    expect(tokens.issue(1, 1)).toHaveLength(1 + 1 + 13);
  });

  it('still verifies tokens issued with the 40-bit MAC before', () => {
    // The old format, written out here: kid, conversation in base32, the first 40 bits of the HMAC.
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    const digest = createHmac('sha256', keyA.secret).update('a.3.45').digest();
    let bits = '';
    for (const byte of digest.subarray(0, 5)) bits += byte.toString(2).padStart(8, '0');
    const mac = (bits.match(/.{5}/g) ?? []).map((chunk) => alphabet[parseInt(chunk, 2)]).join('');
    const legacy = `a${alphabet[1]}${alphabet[13]}${mac}`; // 45 = 1*32 + 13
    const tokens = new ReplyTokens([keyA]);
    expect(tokens.verify(legacy, [3])).toEqual({ tenantId: 3, conversationId: 45, kid: 'a' });
    expect(tokens.verify(legacy, [4])).toBeNull();
  });

  it('finds token-shaped suffixes only', () => {
    expect(tokenOfLocalPart('careers+abcdefghij')).toBe('abcdefghij');
    expect(tokenOfLocalPart('careers+ABCDEFGHIJ')).toBe('abcdefghij');
    expect(tokenOfLocalPart('careers')).toBeNull();
    expect(tokenOfLocalPart('careers+jobs')).toBeNull();
    expect(tokenOfLocalPart('careers+abc1defghij')).toBeNull();
  });
});
