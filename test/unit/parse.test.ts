import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attachmentPath, parseMessage } from '../../src/parse/index.ts';
import { rawHeader } from '../../src/parse/raw-header.ts';
import { tempDir } from '../helpers/server.ts';

const fixture = (name: string): Buffer => readFileSync(`fixtures/parse/${name}`);

describe('parsing', () => {
  it('reads addresses, threading headers, decoded subject, date, bodies and attachments', async () => {
    const dataDir = tempDir();
    const parsed = await parseMessage(fixture('reply-with-cv.eml'), dataDir);
    expect(parsed).toMatchObject({
      messageId: '<reply-42@candidate.example>',
      inReplyTo: '<outbound-7@acme.com>',
      references: ['<outbound-1@acme.com>', '<outbound-7@acme.com>'],
      subject: 'Re: Bewerbung – Müller',
      date: '2026-11-23T09:15:00.000Z',
      from: { name: 'Jane Doe', address: 'jane@candidate.example' },
      to: [
        { name: '', address: 'careers+k3y@replies.acme.com' },
        { name: 'HR', address: 'hr@acme.com' },
      ],
      cc: [{ name: '', address: 'recruiter@acme.com' }],
      replyTo: [{ name: '', address: 'jane.private@candidate.example' }],
    });
    expect(parsed.text).toContain('Grüße, Jane');
    expect(parsed.html).toContain('<b>Dienstag</b>');
    expect(parsed.headers['message-id']).toBe('<reply-42@candidate.example>');

    const pdf = Buffer.from('JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK', 'base64');
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    expect(parsed.attachments).toEqual([
      { filename: 'cv.pdf', contentType: 'application/pdf', size: pdf.length, sha256, contentId: null, inline: false },
      { filename: 'cv-copy.pdf', contentType: 'application/pdf', size: pdf.length, sha256, contentId: null, inline: false },
    ]);
    // stored once, under its hash
    expect(readFileSync(attachmentPath(dataDir, sha256)).equals(pdf)).toBe(true);
  });

  it('streams a large attachment to its file through a temporary file, byte for byte', async () => {
    const dataDir = tempDir();
    const bytes = Buffer.from(Array.from({ length: 600 * 1024 }, (_, i) => (i * 7919) % 251));
    const body = bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = Buffer.from(
      `From: a@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream; name="big.bin"\r\nContent-Disposition: attachment; filename="big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}\r\n--b--\r\n`,
    );
    const parsed = await parseMessage(raw, dataDir);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(parsed.attachments).toMatchObject([{ filename: 'big.bin', size: bytes.length, sha256 }]);
    expect(readFileSync(attachmentPath(dataDir, sha256)).equals(bytes)).toBe(true);
  });

  it('derives the text from the HTML when there is no text part', async () => {
    const parsed = await parseMessage(fixture('html-only.eml'), tempDir());
    expect(parsed.html).toContain('<h1>Interview</h1>');
    expect(parsed.text).toMatch(/INTERVIEW|Interview/);
    expect(parsed.text).toContain('Tuesday at 10:00');
    expect(parsed.attachments).toEqual([]);
  });

  it('keeps going on a message without headers', async () => {
    const parsed = await parseMessage(fixture('no-headers.eml'), tempDir());
    expect(parsed).toMatchObject({ messageId: null, from: null, subject: null, to: [] });
  });

  it('cuts the raw header block at the first blank line, CRLF or bare LF, and judges a message without one on its start', () => {
    const head = (text: string): string => rawHeader(Buffer.from(text)).toString();
    expect(head('A: 1\r\nB: 2\r\n\r\nbody\n\nmore')).toBe('A: 1\r\nB: 2\r\n\r\n');
    expect(head('A: 1\nB: 2\n\nbody\r\n\r\n')).toBe('A: 1\nB: 2\n\n');
    expect(head('A: 1\n\nB: 2\r\n\r\n')).toBe('A: 1\n\n');
    expect(head('A: 1\r\n\nbody')).toBe('A: 1\r\n\n');
    expect(head('A: 1\r\nB: 2')).toBe('A: 1\r\nB: 2');
  });
});
