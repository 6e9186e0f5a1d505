// End-to-end intake over loopback: nodemailer as the client, a real listener,
// a real SQLite file.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ backend });
  });
  afterAll(() => t.cleanup());

  function transport(port: number) {
    return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, tls: { rejectUnauthorized: false } });
  }

  describe('durable intake', () => {
    it('accepts a reply to a reply domain over STARTTLS, stores it with envelope and Received line, and processes it', async () => {
      const info = await transport(t.port).sendMail({
        from: 'Jane Doe <jane@candidate.example>',
        to: 'careers+k3yt0k@replies.acme.com',
        subject: 'Re: Your application',
        text: 'Thanks, Tuesday works.\r\n',
        messageId: '<reply-1@candidate.example>',
      });
      expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{26}$/);
      const id = queuedId({ code: 250, lines: [], text: info.response.slice(4) });

      const stored = await t.ctx.messages.get(id);
      expect(stored).toMatchObject({
        tenant: 'acme',
        envelope: { clientIp: '127.0.0.1', mailFrom: 'jane@candidate.example', rcptTo: ['careers+k3yt0k@replies.acme.com'], helo: expect.any(String) },
      });
      expect(stored?.envelope.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
      const raw = (await t.ctx.raw.read(id))?.toString('latin1') ?? '';
      expect(raw).toMatch(
        /^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby mx\.mailroom\.test \(mailroom\) with ESMTPS \(using TLSv1\.[23] with cipher [A-Z0-9_-]+\) id [0-9A-Z]{26}\r\n\tfor <careers\+k3yt0k@replies\.acme\.com>;\r\n/,
      );
      expect(raw).toContain('Thanks, Tuesday works.');
      expect(stored?.size).toBe(Buffer.byteLength(raw, 'latin1'));

      await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status));
      expect(await t.ctx.messages.get(id)).toMatchObject({
        messageId: '<reply-1@candidate.example>',
        from: 'jane@candidate.example',
        subject: 'Re: Your application',
      });
    });

    it('accepts mail for a forwarding address, case-insensitively', async () => {
      const info = await transport(t.port).sendMail({ from: 'jobs@acme.com', to: 'ACME-Jobs@in.mailroom.test', subject: 'Fwd: CV', text: 'see below\r\n' });
      expect(info.accepted).toEqual(['ACME-Jobs@in.mailroom.test']);
    });

    it('keeps the bytes exactly, dot-stuffed lines and 8-bit text included', async () => {
      const body = 'Line one\r\n.leading dot\r\n..two dots\r\nÜmlaut und ß\r\n';
      const info = await transport(t.port).sendMail({
        from: 'a@example.org',
        to: 'x@replies.globex.com',
        subject: 'bytes',
        text: body,
        textEncoding: 'quoted-printable',
      });
      const id = queuedId({ code: 250, lines: [], text: info.response.slice(4) });
      const raw = (await t.ctx.raw.read(id))?.toString('latin1') ?? '';
      expect(raw).toContain('\r\n.leading dot\r\n..two dots\r\n');
      expect((await t.ctx.messages.get(id))?.tenant).toBe('globex');
    });

    it('offers STARTTLS, SIZE and PIPELINING but never AUTH', async () => {
      const c = await RawSmtp.connect(t.port);
      expect((await c.reply())?.code).toBe(220);
      const ehlo = await c.command('EHLO client.example.org');
      expect(ehlo?.code).toBe(250);
      expect(ehlo?.text).toMatch(/STARTTLS/);
      expect(ehlo?.text).toMatch(/SIZE 36700160/);
      expect(ehlo?.text).toMatch(/PIPELINING/);
      expect(ehlo?.text).not.toMatch(/AUTH/);
      expect((await c.command('AUTH PLAIN AGFAYg=='))?.code).toBeGreaterThanOrEqual(500);
      c.close();
    });

    it('never relays: other domains, IP literals and route forms are refused at RCPT', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO client.example.org');
      expect((await c.command('MAIL FROM:<spammer@example.org>'))?.code).toBe(250);
      for (const rcpt of ['victim@gmail.com', 'jobs@acme.com', 'victim%gmail.com@replies.acme.com', 'root@[127.0.0.1]']) {
        const reply = await c.command(`RCPT TO:<${rcpt}>`);
        expect(reply?.code, rcpt).toBeGreaterThanOrEqual(500);
      }
      expect((await c.command('RCPT TO:<victim@gmail.com>'))?.lines[0]).toBe('550 5.7.1 Relaying denied');
      expect((await c.command('RCPT TO:<nobody@in.mailroom.test>'))?.lines[0]).toBe('550 5.1.1 Mailbox unavailable');
      expect((await c.command('DATA'))?.code).toBe(503);
      c.close();
    });

    it('keeps one message to one tenant: a second tenant gets 452 4.5.3 to come back separately', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO client.example.org');
      await c.command('MAIL FROM:<a@example.org>');
      expect((await c.command('RCPT TO:<one@replies.acme.com>'))?.code).toBe(250);
      expect((await c.command('RCPT TO:<acme-jobs@in.mailroom.test>'))?.code).toBe(250);
      expect((await c.command('RCPT TO:<two@replies.globex.com>'))?.lines[0]).toMatch(/^452 4\.5\.3 /);
      c.close();
    });

    it('refuses more than maxRecipients with 452 4.5.3 and stores the message for the rest', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO client.example.org');
      await c.command('MAIL FROM:<a@example.org>');
      for (let i = 0; i < 100; i++) expect((await c.command(`RCPT TO:<r${i}@replies.acme.com>`))?.code).toBe(250);
      expect((await c.command('RCPT TO:<r100@replies.acme.com>'))?.lines[0]).toBe('452 4.5.3 Too many recipients');
      expect((await c.command('DATA'))?.code).toBe(354);
      const done = await c.command('Subject: flood\r\n\r\nhi\r\n.');
      expect(done?.code).toBe(250);
      expect((await t.ctx.messages.get(queuedId(done)))?.envelope.rcptTo).toHaveLength(100);
      c.close();
    });
  });
});
