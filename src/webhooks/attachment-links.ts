// Signed attachment URLs for webhooks (webhooks.signedAttachmentUrlsMinutes):
// the receiver downloads an attachment without an API token, until the URL
// expires. The signature is an HMAC over the message, the attachment and the
// expiry, with a key derived from the server's secret key (the key's id is in
// the URL, so URLs signed before a `keys rotate` hold while the previous key
// is kept). Signed at each delivery attempt, so a retry carries a fresh URL.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../secrets/keyring.ts';

const LABEL = 'mailroom signed attachment urls v1';

/** The query of a signed URL. */
export interface LinkSignature {
  expires: string;
  kid: string;
  signature: string;
}

function mac(ring: Keyring, kid: string, messageId: string, sha256: string, expires: number): Buffer {
  const key = Buffer.from(hkdfSync('sha256', ring.keyBytes(kid), Buffer.alloc(0), LABEL, 32));
  return createHmac('sha256', key).update(`${messageId.toUpperCase()}.${sha256}.${expires}`).digest();
}

/** The query string (with `?`) that lets `path` be fetched without a token until `expires` (Unix seconds). */
export function signedQuery(ring: Keyring, messageId: string, sha256: string, expires: number): string {
  const kid = ring.current.id;
  return `?expires=${expires}&kid=${kid}&signature=${mac(ring, kid, messageId, sha256, expires).toString('base64url')}`;
}

/** Whether a signed request may fetch this attachment now: `expired`, `invalid` (tampered, or an unknown key) or `ok`. */
export function checkSignature(ring: Keyring, messageId: string, sha256: string, query: LinkSignature, nowSeconds: number): 'ok' | 'expired' | 'invalid' {
  const expires = Number(query.expires);
  if (!/^\d{1,12}$/.test(query.expires) || !ring.ids.includes(query.kid)) return 'invalid';
  const given = Buffer.from(query.signature, 'base64url');
  const expected = mac(ring, query.kid, messageId, sha256, expires);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  return expires < nowSeconds ? 'expired' : 'ok';
}

interface AttachmentLike {
  sha256?: unknown;
  url?: unknown;
}

/**
 * The event body with every attachment of its message given a signed, absolute
 * URL (`base` is the server's public address); other events unchanged.
 */
export function withSignedAttachmentUrls(body: string, ring: Keyring, base: string, expires: number): string {
  const event = JSON.parse(body) as { data?: { message?: { id?: unknown; attachments?: AttachmentLike[] } } };
  const message = event.data?.message;
  if (!message || typeof message.id !== 'string' || !Array.isArray(message.attachments) || message.attachments.length === 0) return body;
  const id = message.id;
  message.attachments = message.attachments.map((a) =>
    typeof a.sha256 === 'string' && typeof a.url === 'string' ? { ...a, url: `${base}${a.url}${signedQuery(ring, id, a.sha256, expires)}` } : a,
  );
  return JSON.stringify(event);
}
