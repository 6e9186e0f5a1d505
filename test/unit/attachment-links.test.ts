// Signed attachment URLs: what a webhook receiver may fetch without a token,
// and for how long. Tampering with any part, or a key the server no longer
// has, is refused; a URL signed before a key rotation holds while the old key is kept.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keyring, keyFromBytes } from '../../src/secrets/keyring.ts';
import { checkSignature, signedQuery, withSignedAttachmentUrls, type LinkSignature } from '../../src/webhooks/attachment-links.ts';

const oldKey = keyFromBytes(randomBytes(32));
const newKey = keyFromBytes(randomBytes(32));
const ring = new Keyring([oldKey]);
const sha = 'ab'.repeat(32);
const now = 1_800_000_000;

function parts(query: string): LinkSignature {
  const p = new URLSearchParams(query.slice(1));
  return { expires: p.get('expires')!, kid: p.get('kid')!, signature: p.get('signature')! };
}

describe('signed attachment URLs', () => {
  const genuine = parts(signedQuery(ring, '01jabc', sha, now + 300));

  it.each([
    ['genuine, before it expires', ring, '01JABC', sha, genuine, 'ok'],
    ['past its expiry', ring, '01JABC', sha, { ...genuine }, 'expired', now + 301],
    ['another message', ring, '01JABD', sha, genuine, 'invalid'],
    ['another attachment', ring, '01JABC', 'cd'.repeat(32), genuine, 'invalid'],
    ['a later expiry written in', ring, '01JABC', sha, { ...genuine, expires: String(now + 3600) }, 'invalid'],
    ['an expiry that is not a number', ring, '01JABC', sha, { ...genuine, expires: '1e10' }, 'invalid'],
    ['a signature cut short', ring, '01JABC', sha, { ...genuine, signature: genuine.signature.slice(0, 20) }, 'invalid'],
    ['a key the server does not have', ring, '01JABC', sha, { ...genuine, kid: 'ffffffff' }, 'invalid'],
    ['after a rotation, the old key kept', new Keyring([newKey, oldKey]), '01JABC', sha, genuine, 'ok'],
    ['after a rotation, the old key gone', new Keyring([newKey]), '01JABC', sha, genuine, 'invalid'],
  ] as const)('%s', (_name, keys, id, attachment, query, verdict, at = now) => {
    expect(checkSignature(keys, id, attachment, query, at)).toBe(verdict);
  });

  it("rewrites a message event's attachment paths into signed URLs, and leaves other events alone", () => {
    const event = {
      id: 'evt_1',
      type: 'message.assigned',
      data: { message: { id: 'M1', attachments: [{ sha256: sha, url: `/v1/messages/M1/attachments/${sha}` }] } },
    };
    const signed = JSON.parse(withSignedAttachmentUrls(JSON.stringify(event), ring, 'https://mailroom.example', now + 60)) as typeof event;
    const url = new URL(signed.data.message.attachments[0]!.url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://mailroom.example/v1/messages/M1/attachments/${sha}`);
    expect(checkSignature(ring, 'M1', sha, parts(url.search), now)).toBe('ok');
    const other = JSON.stringify({ id: 'evt_2', type: 'outbound.sent', data: { outbound: { id: 'O1' } } });
    expect(withSignedAttachmentUrls(other, ring, 'https://mailroom.example', now + 60)).toBe(other);
  });
});
