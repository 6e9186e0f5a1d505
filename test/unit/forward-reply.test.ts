import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.ts';
import { parseMessage } from '../../src/parse/index.ts';
import { replyText } from '../../src/reply/index.ts';
import { tempDir } from '../helpers/server.ts';

async function parsedFixture(name: string) {
  const raw = readFileSync(`fixtures/${name}`);
  const parsed = await parseMessage(raw, tempDir());
  return { parsed, classification: classify(parsed, raw) };
}

describe('forwards', () => {
  it('recovers the original sender, subject and the note of a hand-forwarded message', async () => {
    const { classification } = await parsedFixture('classify/gmail-forward.eml');
    expect(classification.kind).toBe('message');
    expect(classification.forward).toMatchObject({
      manual: true,
      originalFrom: { name: 'Jane Doe', address: 'jane@candidate.example' },
      originalSubject: 'Application for the designer role',
      note: 'Please have a look at this one.',
      forwardedBy: 'jobs@acme.com',
    });
  });

  it('keeps the original From of an automatic forward and says who forwarded it', async () => {
    const { classification } = await parsedFixture('classify/auto-forward.eml');
    expect(classification.forward).toMatchObject({ manual: false, originalFrom: { address: 'jane@candidate.example' }, forwardedBy: 'jobs@acme.com' });
  });

  it('reads a message forwarded as an attachment', async () => {
    const { classification } = await parsedFixture('classify/attached-forward.eml');
    expect(classification.forward).toMatchObject({
      manual: true,
      originalFrom: { name: 'Jane Doe', address: 'jane@candidate.example' },
      originalSubject: 'My application',
      note: 'See the attached mail.',
      forwardedBy: 'recruiter@acme.com',
    });
  });

  it('reads an Outlook header block under a French forward subject', async () => {
    const { classification } = await parsedFixture('classify/outlook-forward-fr.eml');
    expect(classification.forward).toMatchObject({
      manual: true,
      originalFrom: { name: 'Jean Candidat', address: 'jean@candidat.example' },
      originalSubject: 'Candidature',
      note: 'Pouvez-vous regarder ?',
      forwardedBy: 'recruiter@acme.com',
    });
  });

  it('sees no forward in an ordinary reply', async () => {
    expect((await parsedFixture('reply/gmail-style-reply.eml')).classification.forward).toBeNull();
  });
});

describe('reply text', () => {
  it('keeps what the sender wrote, without the quoted history', async () => {
    const { parsed } = await parsedFixture('reply/gmail-style-reply.eml');
    const text = replyText(parsed.text);
    expect(text).toMatch(/^Tuesday at 10 works for me\./);
    expect(text).not.toContain('would Tuesday at 10 work');
  });

  it('reads the top of a long thread only, and finds the same reply there', () => {
    const quoted = (i: number): string =>
      `On Mon, 23 Nov 2026 at 09:${String(i % 60).padStart(2, '0')}, Person ${i} <p${i}@example.org> wrote:\n${'> a line of an earlier message in this thread\n'.repeat(50)}`;
    const thread = `Thanks, that works.\n\nBest,\nJane\n\n${Array.from({ length: 60 }, (_, i) => quoted(i)).join('\n')}`;
    expect(thread.length).toBeGreaterThan(100 * 1024);
    expect(replyText(thread)).toBe('Thanks, that works.\n\nBest,\nJane');
    // Outlook quotes a history as header blocks over plain text, without quote marks.
    const block = (i: number): string =>
      `________________________________\nFrom: Acme Careers <careers@acme.com>\nSent: Monday, November ${i}, 2026 9:00 AM\nTo: Jane Doe <jane@candidate.example>\nSubject: RE: Interview\n\n${'An earlier message, as Outlook quotes it.\n'.repeat(20)}`;
    expect(replyText(`Hi,\n\nYes, that time suits me.\n\nKind regards,\nJane Doe\n\n${Array.from({ length: 30 }, (_, i) => block(i + 1)).join('\n')}`)).toBe(
      'Hi,\n\nYes, that time suits me.\n\nKind regards,\nJane Doe',
    );
    // Cut at a line end: a text longer than what is read keeps whole lines.
    const long = `${'A line the sender wrote.\n'.repeat(2000)}`;
    expect(replyText(long)?.endsWith('A line the sender wrote.')).toBe(true);
  });

  it.each([
    ['', null],
    ['Just this line.', 'Just this line.'],
    ['Passt mir gut.\n\nAm 21.11.2026 17:48 schrieb Acme Careers <careers@acme.com>:\n> Passt Dienstag?\n', 'Passt mir gut.'],
    ['Sounds good.\n\n-----Original Message-----\nFrom: Acme <careers@acme.com>\nSent: Monday\n\nOld text\n', 'Sounds good.'],
    ['Yes.\n\n*From:* Acme Careers\n*Sent:* 2026-11-23\n*To:* jane@candidate.example\n\nOld text\n', 'Yes.'],
    ['Dziękuję.\n\n23 lis 2026 21:25 "Acme" <careers@acme.com> napisał(a):\n> Pytanie\n', 'Dziękuję.'],
    ['---------- Forwarded message ----------\nFrom: Jane <jane@candidate.example>\nSubject: CV\n\nMy CV is attached.\n', 'My CV is attached.'],
    // A closing and the name under it are the sender's; the block under them and a "-- " signature are not.
    [
      'Works for me.\n\nKind regards,\n\nJane\n\nOn Mon, 23 Nov 2026 at 09:00, Acme <careers@acme.com> wrote:\n> Tuesday?\n',
      'Works for me.\n\nKind regards,\n\nJane',
    ],
    ['Works for me.\n\nBest regards,\nJane Doe\n+46 70 123 45 67\nwww.jane.example\n', 'Works for me.\n\nBest regards,\nJane Doe'],
    ['Works for me.\n\nCheers,\nhttps://jane.example\n', 'Works for me.\n\nCheers,'],
    ['Works for me.\n\n-- \nJane Doe\nSenior Engineer\n', 'Works for me.'],
    ['Works for me.\n\nSent from my iPhone\n', 'Works for me.'],
    // A closing inside a history without quote marks stays with the history.
    ['Thanks.\n\nSent from my phone\n\nOn Mon, 23 Nov 2026 at 09:00, Acme <careers@acme.com> wrote:\nSee you then.\n\nRegards,\nAcme\n', 'Thanks.'],
    ['Gracias.\n\nEl 23 nov 2026, Acme escribió lo siguiente:\n> ¿Puede el martes?\n', 'Gracias.'],
    // A client that dropped the quote marks: the attribution line is not the sender's text.
    ['On 23 Nov 2026 17:34, "Acme" <careers@acme.com> wrote:\n\nCan you start in March?\n', 'Can you start in March?'],
  ])('%j -> %j', (input, expected) => {
    expect(replyText(input)).toBe(expected);
  });
});
