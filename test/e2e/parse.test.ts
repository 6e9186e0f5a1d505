// A message with attachments over SMTP: parsed by the pipeline, attachments
// stored once by content hash, listed on the message.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentPath } from '../../src/parse/index.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ backend });
  });
  afterAll(() => t.cleanup());

  async function deliverFixture(path: string): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData(['careers+k3y@replies.acme.com'], ''))?.code).toBe(354);
    const id = queuedId(await c.command(`${readFileSync(path, 'latin1')}.`));
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  describe('parsing in the pipeline', () => {
    it.each([
      ['fixtures/classify/dsn-hard.eml', 'bounce'],
      ['fixtures/classify/ooo-auto-submitted.eml', 'auto_reply'],
      ['fixtures/classify/gmail-verification.eml', 'forwarding_verification'],
      ['fixtures/parse/reply-with-cv.eml', 'message'],
    ])('classifies %s as %s', async (path, kind) => {
      const id = await deliverFixture(path);
      expect((await t.ctx.messages.get(id))?.classification?.kind).toBe(kind);
    });

    it('keeps the failed recipient and original Message-ID of a bounce', async () => {
      const id = await deliverFixture('fixtures/classify/dsn-hard.eml');
      expect((await t.ctx.messages.get(id))?.classification?.bounce).toMatchObject({
        recipient: 'gone@candidate.example',
        hard: true,
        originalMessageId: '<outbound-9@acme.com>',
      });
    });

    it('keeps a message without any header block, its bytes intact', async () => {
      const id = await deliverFixture('fixtures/parse/no-headers.eml');
      expect((await t.ctx.messages.get(id))?.classification?.kind).toBe('message');
      expect((await t.ctx.raw.read(id))?.toString('latin1')).toContain('This is not a mail message at all');
    });

    it('stores the parse result and the attachments of a received message', async () => {
      const c = await RawSmtp.connect(t.port);
      expect((await c.startData(['careers+k3y@replies.acme.com'], 'jane@candidate.example'))?.code).toBe(354);
      const eml = readFileSync('fixtures/parse/reply-with-cv.eml', 'latin1');
      const id = queuedId(await c.command(`${eml}.`));
      c.close();
      await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');

      const message = (await t.ctx.messages.get(id))!;
      expect(message).toMatchObject({ messageId: '<reply-42@candidate.example>', from: 'jane@candidate.example', subject: 'Re: Bewerbung – Müller' });
      expect(message.attachments.map((a) => a.filename)).toEqual(['cv.pdf', 'cv-copy.pdf']);
      const [first] = message.attachments;
      expect(existsSync(attachmentPath(t.dataDir, first!.sha256))).toBe(true);
      expect(await t.ctx.messages.parsed(id)).toMatchObject({ inReplyTo: '<outbound-7@acme.com>', text: expect.stringContaining('Dienstag') });
    });
  });
});
