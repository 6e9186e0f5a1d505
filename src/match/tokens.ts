// Reply tokens: `careers+<token>@replies.acme.com` names the conversation a reply
// belongs to. A token is lower-case base32 (so it survives mail systems that
// change case), short, and signed: one character for the key id (keys rotate),
// the conversation id, then 40 bits of HMAC-SHA256 over tenant and conversation,
// so a token made up or taken from another tenant never matches.
import { createHmac, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const MAC_CHARS = 8; // 8 base32 characters = 40 bits
const TOKEN_PATTERN = /^[a-z2-7]{10,24}$/;

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

function mac(key: TokenKey, tenantId: number, conversationId: number): string {
  const digest = createHmac('sha256', key.secret).update(`${key.kid}.${tenantId}.${conversationId}`).digest();
  // 40 bits as 8 base32 characters.
  let bits = 0n;
  for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(digest[i] as number);
  let out = '';
  for (let i = 0; i < MAC_CHARS; i++) {
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
    return this.signing.kid + encodeNumber(conversationId) + mac(this.signing, tenantId, conversationId);
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
    const conversationId = decodeNumber(text.slice(1, -MAC_CHARS));
    if (conversationId === null) return null;
    const given = Buffer.from(text.slice(-MAC_CHARS));
    for (const tenantId of tenantIds) {
      if (timingSafeEqual(given, Buffer.from(mac(key, tenantId, conversationId)))) return { tenantId, conversationId, kid: key.kid };
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
