// Hostile and broken clients: oversize, smuggling byte sequences, resets at every
// step. Each must get the right answer, store nothing it should not, and leave the
// server serving the next client.
import { connect as tlsConnect } from 'node:tls';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ backend, overrides: { smtp: { maxMessageBytes: 64 * 1024 } } });
  });
  afterAll(() => t.cleanup());

  const count = async (): Promise<number> => (await t.ctx.messages.totals()).count;

  async function sendsFine(): Promise<void> {
    const info = await nodemailer
      .createTransport({ host: '127.0.0.1', port: t.port, secure: false, ignoreTLS: true })
      .sendMail({ from: 'a@example.org', to: 'ok@replies.acme.com', subject: 'still alive', text: 'yes\r\n' });
    expect(info.response).toMatch(/^250 /);
  }

  describe('hostile input', () => {
    it('refuses a declared SIZE over the limit at MAIL FROM', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO x.example');
      expect((await c.command(`MAIL FROM:<a@example.org> SIZE=${64 * 1024 + 1}`))?.code).toBe(552);
      c.close();
    });

    it('refuses an oversize message with 552 5.3.4 after DATA, stores nothing, and the session goes on', async () => {
      const before = await count();
      const c = await RawSmtp.connect(t.port);
      expect((await c.startData(['big@replies.acme.com']))?.code).toBe(354);
      const line = `${'x'.repeat(998)}\r\n`;
      c.write(`Subject: big\r\n\r\n${line.repeat(70)}.\r\n`);
      expect((await c.reply())?.lines[0]).toMatch(/^552 5\.3\.4 Message too big/);
      expect(await count()).toBe(before);
      expect((await c.command('MAIL FROM:<a@example.org>'))?.code).toBe(250);
      c.close();
    });

    it.each([
      ['LF.LF', 'Subject: s\r\n\r\nhello\n.\nMAIL FROM:<evil@example.org>\r\n.\r\n'],
      ['CRLF.LF', 'Subject: s\r\n\r\nhello\r\n.\nRCPT TO:<victim@gmail.com>\r\n.\r\n'],
      ['LF.CRLF', 'Subject: s\r\n\r\nhello\n.\r\nDATA\r\n.\r\n'],
      ['CR.CR', 'Subject: s\r\n\r\nhello\r.\rQUIT\r\n.\r\n'],
      ['bare LF in headers', 'Subject: s\nX-Other: y\r\n\r\nhello\r\n.\r\n'],
      ['NUL byte', 'Subject: s\r\n\r\nhel\u0000lo\r\n.\r\n'],
    ])('refuses smuggling sequence %s with 550 5.6.0 and stores nothing', async (_name, payload) => {
      const before = await count();
      const c = await RawSmtp.connect(t.port);
      expect((await c.startData(['smuggle@replies.acme.com']))?.code).toBe(354);
      c.write(payload);
      const reply = await c.reply();
      expect(reply?.lines[0]).toMatch(/^550 5\.6\.0 /);
      // Nothing after the refusal was taken as a command of its own.
      expect((await c.command('NOOP'))?.code).toBe(250);
      expect(await count()).toBe(before);
      c.close();
    });

    it('survives a reset mid-command', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      c.write('EHLO x.example\r\nMAIL FR');
      c.socket.resetAndDestroy();
      await sendsFine();
    });

    it('survives a reset mid-DATA and stores nothing of it', async () => {
      const before = await count();
      const c = await RawSmtp.connect(t.port);
      expect((await c.startData(['reset@replies.acme.com']))?.code).toBe(354);
      c.write('Subject: half\r\n\r\nthis message never ends');
      await new Promise((r) => setTimeout(r, 50));
      c.socket.resetAndDestroy();
      await waitFor(() => t.server.listener.transactionsInFlight === 0);
      expect(await count()).toBe(before);
      await sendsFine();
    });

    it('survives a reset mid-TLS-handshake and garbage instead of a handshake', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO x.example');
      expect((await c.command('STARTTLS'))?.code).toBe(220);
      c.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x50, 0x01, 0x00]));
      c.socket.resetAndDestroy();

      const g = await RawSmtp.connect(t.port);
      await g.reply();
      await g.command('EHLO x.example');
      await g.command('STARTTLS');
      g.write('this is not TLS at all\r\n');
      await new Promise((r) => setTimeout(r, 50));
      g.close();

      // A real handshake cut off half-way by the client.
      const h = await RawSmtp.connect(t.port);
      await h.reply();
      await h.command('EHLO x.example');
      await h.command('STARTTLS');
      const secure = tlsConnect({ socket: h.socket, rejectUnauthorized: false });
      secure.on('error', () => undefined);
      setImmediate(() => h.socket.resetAndDestroy());
      await new Promise((r) => setTimeout(r, 50));
      await sendsFine();
    });

    it('refuses command lines past maxCommandLength', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO x.example');
      const reply = await c.command(`MAIL FROM:<${'a'.repeat(5000)}@example.org>`);
      expect(reply?.code).toBeGreaterThanOrEqual(400);
      c.close();
      await sendsFine();
    });

    it('answers a pipelined transaction in order', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO x.example');
      c.write('MAIL FROM:<p@example.org>\r\nRCPT TO:<p@replies.acme.com>\r\nRCPT TO:<nobody@gmail.com>\r\nDATA\r\n');
      expect((await c.reply())?.code).toBe(250);
      expect((await c.reply())?.code).toBe(250);
      expect((await c.reply())?.code).toBe(550);
      expect((await c.reply())?.code).toBe(354);
      const done = await c.command('Subject: piped\r\n\r\nhi\r\n.');
      expect((await t.ctx.messages.get(queuedId(done)))?.envelope.rcptTo).toEqual(['p@replies.acme.com']);
      c.close();
    });
  });
});
