// Hostile input, part two: command injection around STARTTLS, and messages
// built to hurt a parser (a huge header line, tens of thousands of headers,
// MIME nested hundreds deep, thousands of parts, bogus charsets and encodings).
// Each gets the right SMTP answer, is processed to the end (no crash, no hang)
// and leaves memory bounded. This suite grows with every bug found.
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ backend, overrides: { smtp: { maxMessageBytes: 8 * 1024 * 1024 } } });
  });
  afterAll(() => t.cleanup());

  async function deliverRaw(body: string): Promise<{ id: string; status: string }> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData(['careers@replies.acme.com'], 'attacker@else.example'))?.code).toBe(354);
    c.write(`${body}\r\n.\r\n`);
    const reply = await c.reply(60_000);
    c.close();
    expect(reply?.code, reply?.text).toBe(250);
    const id = queuedId(reply);
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 60_000, 'processed');
    return { id, status: (await t.ctx.messages.get(id))?.status ?? '' };
  }

  const header = 'From: attacker@else.example\r\nTo: careers@replies.acme.com\r\nSubject: hostile\r\nMIME-Version: 1.0\r\n';

  describe('hostile input: STARTTLS and parser bombs', () => {
    it('never runs commands pipelined behind STARTTLS in the clear (CVE-2011-0411 style injection)', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO attacker.example');
      // One packet: STARTTLS, then a command that must be thrown away, not run after the handshake.
      c.write('STARTTLS\r\nMAIL FROM:<injected@else.example>\r\n');
      const ready = await c.reply();
      expect(ready?.code).toBe(220);
      const socket = (c as unknown as { socket: import('node:net').Socket }).socket;
      socket.removeAllListeners('data');
      const secure = tlsConnect({ socket, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', () => resolve());
        secure.once('error', reject);
      });
      const replies: string[] = [];
      secure.on('data', (d: Buffer) => replies.push(...d.toString().split('\r\n').filter(Boolean)));
      const send = async (line: string): Promise<string> => {
        const before = replies.length;
        secure.write(`${line}\r\n`);
        await waitFor(() => replies.slice(before).some((l) => /^\d{3} /.test(l)), 5000, `reply to ${line}`);
        return replies.slice(before).find((l) => /^\d{3} /.test(l)) as string;
      };
      expect(await send('EHLO attacker.example')).toMatch(/^250 /);
      // Had the injected MAIL FROM been run, RCPT would be accepted now.
      expect(await send('RCPT TO:<careers@replies.acme.com>')).toMatch(/^503 /);
      secure.destroy();
    });

    it.each([
      ['a 1 MB header line', () => `${header}X-Long: ${'a'.repeat(1024 * 1024)}\r\n\r\nbody`],
      ['50,000 header fields', () => `${header}${'X-Many: v\r\n'.repeat(50_000)}\r\nbody`],
      [
        'multipart nested 600 deep',
        () => {
          let body = 'Content-Type: text/plain\r\n\r\ninnermost\r\n';
          for (let i = 0; i < 600; i++) body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
          return `${header}${body}`;
        },
      ],
      [
        '5,000 parts',
        () =>
          `${header}Content-Type: multipart/mixed; boundary="p"\r\n\r\n${Array.from({ length: 5000 }, (_, i) => `--p\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('')}--p--\r\n`,
      ],
      [
        'bogus charsets and broken encodings',
        () =>
          `From: =?x-bogus?B?!!!?= <attacker@else.example>\r\nTo: careers@replies.acme.com\r\nSubject: =?utf-8?Q?broken=ZZ=?= \xff\xfe\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="c"\r\n\r\n--c\r\nContent-Type: text/plain; charset="x-no-such-charset"\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@\r\n--c\r\nContent-Type: text/html; charset=utf-7\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n+ADw-script+AD4-\r\n--c--\r\n`,
      ],
    ])('takes %s, processes it to the end, memory bounded', async (_name, build) => {
      const rssBefore = process.memoryUsage().rss;
      const { status } = await deliverRaw(build());
      expect(['assigned', 'unassigned']).toContain(status);
      // The server and its pipeline run in this process: it must not have ballooned.
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(768 * 1024 * 1024);
      // And it still answers.
      const c = await RawSmtp.connect(t.port);
      expect((await c.reply())?.code).toBe(220);
      c.close();
    });
  });
});
