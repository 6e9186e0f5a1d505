// Reply tokens: `careers+<token>@replies.acme.com` names the conversation a reply
// belongs to. A token is lower-case base32 (so it survives mail systems that
// change case), short, and signed: one character for the key id (keys rotate),
// the conversation id, then 65 bits (13 characters) of HMAC-SHA256 over tenant
// and conversation, so a token made up or taken from another tenant never
// matches: guessing one takes 2^64 tries on average, far past any rate a mail
// server accepts. Tokens issued before had 40 bits (8 characters); they still
// verify until the key that signed them is removed (`mailroom keys rotate-tokens`,
// then `keys remove-token-key`), which retires them.
import { createHmac, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const MAC_CHARS = 13; // 13 base32 characters = 65 bits
const LEGACY_MAC_CHARS = 8; // 40 bits, the tokens issued before
const TOKEN_PATTERN = /^[a-z2-7]{10,28}$/;

export interface TokenKey {
  /** One base32 character, carried in every token signed with this key. */
  kid: string;
  secret: Buffer;
}

export interface VerifiedToken {
  tenantId: number;
  conversationId: number;
  kid: string;
}

function encodeNumber(value: number): string {
  let out = '';
  let n = value;
  do {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  } while (n > 0);
  return out;
}

function decodeNumber(text: string): number | null {
  let n = 0;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return null;
    n = n * 32 + digit;
  }
  return Number.isSafeInteger(n) ? n : null;
}

/** The first `chars` * 5 bits of the HMAC as base32 (the legacy 8 characters are a prefix of the 13). */
function mac(key: TokenKey, tenantId: number, conversationId: number, chars: number): string {
  const digest = createHmac('sha256', key.secret).update(`${key.kid}.${tenantId}.${conversationId}`).digest();
  const bitCount = chars * 5;
  const bytes = Math.ceil(bitCount / 8);
  let bits = 0n;
  for (let i = 0; i < bytes; i++) bits = (bits << 8n) | BigInt(digest[i] as number);
  bits >>= BigInt(bytes * 8 - bitCount);
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = (ALPHABET[Number(bits & 31n)] as string) + out;
    bits >>= 5n;
  }
  return out;
}

export class ReplyTokens {
  private readonly keys: Map<string, TokenKey>;
  private readonly signing: TokenKey | null;

  /** `keys` newest first: the first one signs, all of them verify. */
  constructor(keys: readonly TokenKey[]) {
    this.keys = new Map(keys.map((k) => [k.kid, k]));
    this.signing = keys[0] ?? null;
  }

  issue(tenantId: number, conversationId: number): string {
    if (!this.signing) throw new Error('no reply-token key');
    return this.signing.kid + encodeNumber(conversationId) + mac(this.signing, tenantId, conversationId, MAC_CHARS);
  }

  /**
   * The conversation a token names, if it is genuine and was issued to one of
   * `tenantIds` (the message's tenant, then its parents); else null.
   */
  verify(token: string, tenantIds: readonly number[]): VerifiedToken | null {
    const text = token.toLowerCase();
    if (!TOKEN_PATTERN.test(text)) return null;
    const key = this.keys.get(text[0] as string);
    if (!key) return null;
    // The MAC's length tells the formats apart only with the MAC checked, so both readings are tried.
    for (const chars of [MAC_CHARS, LEGACY_MAC_CHARS]) {
      if (text.length < 2 + chars) continue;
      const conversationId = decodeNumber(text.slice(1, -chars));
      if (conversationId === null) continue;
      const given = Buffer.from(text.slice(-chars));
      for (const tenantId of tenantIds) {
        if (timingSafeEqual(given, Buffer.from(mac(key, tenantId, conversationId, chars)))) return { tenantId, conversationId, kid: key.kid };
      }
    }
    return null;
  }
}

/**
 * The token part of a recipient's local part (`careers+TOKEN`), or null when
 * there is none. A suffix that cannot be a token (`careers+jobs`) is plain
 * sub-addressing, not a token: only token-shaped ones are checked (and a
 * token-shaped one that fails the check is a bad token).
 */
export function tokenOfLocalPart(localPart: string): string | null {
  const plus = localPart.lastIndexOf('+');
  const suffix = plus < 0 ? '' : localPart.slice(plus + 1).toLowerCase();
  return TOKEN_PATTERN.test(suffix) ? suffix : null;
}

/** The next key id after the ones in use (a, b, ..., 7, then a again after the oldest is gone). */
export function nextKeyId(inUse: readonly string[]): string {
  for (const ch of ALPHABET) if (!inUse.includes(ch)) return ch;
  throw new Error('all 32 reply-token key ids are in use; remove old keys first');
}
