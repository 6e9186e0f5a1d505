// A message with attachments over SMTP: parsed by the pipeline, attachments
// stored once by content hash, listed on the message.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentPath } from '../../src/parse/index.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.cleanup());

describe('parsing in the pipeline', () => {
  it('stores the parse result and the attachments of a received message', async () => {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData(['careers+k3y@replies.acme.com'], 'jane@candidate.example'))?.code).toBe(354);
    const eml = readFileSync('fixtures/parse/reply-with-cv.eml', 'latin1');
    const id = queuedId(await c.command(`${eml}.`));
    c.close();
    await waitFor(() => t.ctx.messages.get(id)?.status === 'processed', 10_000, 'processed');

    const message = t.ctx.messages.get(id)!;
    expect(message).toMatchObject({ messageId: '<reply-42@candidate.example>', from: 'jane@candidate.example', subject: 'Re: Bewerbung – Müller' });
    expect(message.attachments.map((a) => a.filename)).toEqual(['cv.pdf', 'cv-copy.pdf']);
    const [first] = message.attachments;
    expect(existsSync(attachmentPath(t.dataDir, first!.sha256))).toBe(true);
    expect(t.ctx.messages.parsed(id)).toMatchObject({ inReplyTo: '<outbound-7@acme.com>', text: expect.stringContaining('Dienstag') });
  });
});
