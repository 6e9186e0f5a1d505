import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.ts';
import { parseMessage } from '../../src/parse/index.ts';
import { tempDir } from '../helpers/server.ts';

async function classified(name: string) {
  const raw = readFileSync(`fixtures/classify/${name}`);
  return classify(await parseMessage(raw, tempDir()), raw);
}

describe('classification', () => {
  it.each([
    ['dsn-hard.eml', 'bounce'],
    ['dsn-soft.eml', 'bounce'],
    ['qmail-failure.eml', 'bounce'],
    ['ooo-auto-submitted.eml', 'auto_reply'],
    ['ooo-subject-de.eml', 'auto_reply'],
    ['person-with-suppress.eml', 'message'],
    ['gmail-verification.eml', 'forwarding_verification'],
    ['mailing-list.eml', 'mailing_list'],
    ['arf-abuse.eml', 'feedback_report'],
    ['ses-bounce.eml', 'bounce'],
    ['ses-complaint.eml', 'feedback_report'],
    ['../parse/reply-with-cv.eml', 'message'],
  ])('%s is a %s', async (name, kind) => {
    expect((await classified(name)).kind).toBe(kind);
  });

  it('reads an RFC 3464 report: failed recipient, status, diagnostic, hard, original Message-ID', async () => {
    expect((await classified('dsn-hard.eml')).bounce).toEqual({
      recipient: 'gone@candidate.example',
      status: '5.1.1',
      action: 'failed',
      diagnostic: '550 5.1.1 <gone@candidate.example>: Recipient address rejected: User unknown',
      hard: true,
      originalMessageId: '<outbound-9@acme.com>',
    });
    expect((await classified('dsn-soft.eml')).bounce).toMatchObject({ recipient: 'full@candidate.example', status: '4.2.2', action: 'delayed', hard: false });
  });

  it("takes the server's reply from the report's text when its delivery-status part has none", async () => {
    expect((await classified('dsn-reply-in-text.eml')).bounce).toMatchObject({
      recipient: 'gone@candidate.example',
      status: '5.1.1',
      diagnostic: '550 5.1.1 <gone@candidate.example>: Recipient address rejected: User unknown',
      hard: true,
    });
  });

  it("reads Gmail's 'Address not found' as hard, unless its status says the failure was temporary", async () => {
    expect((await classified('gmail-dns-failure.eml')).bounce).toMatchObject({ recipient: 'jane@candidate-example.comn', status: '4.0.0', hard: false });
    const final = readFileSync('fixtures/classify/gmail-dns-failure.eml', 'latin1')
      .replace('Status: 4.0.0', 'Status: 5.0.0')
      .replace(/Diagnostic-Code: .*\r\n/, '');
    const raw = Buffer.from(final, 'latin1');
    expect(classify(await parseMessage(raw, tempDir()), raw).bounce).toMatchObject({ status: '5.0.0', hard: true });
  });

  it('reads an Amazon SES bounce notification', async () => {
    expect((await classified('ses-bounce.eml')).bounce).toEqual({
      recipient: 'gone@candidate.example',
      status: '5.1.1',
      action: 'failed',
      diagnostic: '550 5.1.1 user unknown',
      hard: true,
      originalMessageId: null,
    });
  });

  it('reads a non-standard daemon bounce text', async () => {
    expect((await classified('qmail-failure.eml')).bounce).toMatchObject({
      recipient: 'nobody@example.net',
      status: '5.1.1',
      hard: true,
      originalMessageId: '<outbound-12@acme.com>',
    });
  });

  it('reads a bounce whose MIME boundary never occurs in its body, from the body kept as text', async () => {
    const raw = readFileSync('fixtures/classify/broken-boundary-bounce.eml');
    const parsed = await parseMessage(raw, tempDir());
    expect(parsed.text).toContain('The email account that you tried to reach does not exist.');
    expect(classify(parsed, raw).bounce).toMatchObject({ recipient: 'moved-on@candidate.example', status: '5.1.1', hard: true });
  });

  // Hard only when the address itself is bad, whatever words the remote server wraps it in.
  it.each([
    ['550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', true],
    ['550 5.1.1 <jane@candidate.example>: inactive email address', true],
    ['550 Unknown user jane@candidate.example (#5.5.0)', true],
    ["554 delivery error: dd This user doesn't have a candidate.example account", true],
    ['550 5.7.1 Recipient address rejected: User jane@candidate.example temporary locked. Please try again later!', false],
    ['550 5.1.1 192.0.2.9 has sent to too many recipients this hour', false],
    ['550 5.7.1 Mailbox disabled for this recipient', false],
    // Postfix's DNS answers: no such domain is final, a lookup to retry or a broken name server is not.
    ['Host or domain name not found. Name service error for name=candidate.example type=A: Host not found', true],
    ['Host or domain name not found. Name service error for name=candidate.example type=MX: Host not found, try again', false],
    ['Name service error for name=candidate.example type=MX: Malformed or unexpected name server reply', false],
    ['No mx record found for domain=candidate.example', true],
    // Gmail's own words when it has no such address.
    ["** Address not found ** Your message wasn't delivered to jane@candidate.example because the address couldn't be found.", true],
  ])('a daemon bounce saying %j is hard: %s', async (said, hard) => {
    const raw = Buffer.from(
      [
        'From: MAILER-DAEMON@mx.acme.com',
        'To: careers@replies.acme.com',
        'Subject: Returned mail: see transcript',
        'Return-Path: <>',
        '',
        'The following address failed:',
        '<jane@candidate.example>',
        `Remote host said: ${said}`,
        '',
      ].join('\r\n'),
    );
    expect(classify(await parseMessage(raw, tempDir()), raw).bounce?.hard).toBe(hard);
  });

  it.each([
    [
      'a bare "mailer-daemon" sender, though marked auto-replied',
      ['From: mailer-daemon', 'Subject: There was an error sending your mail', 'Auto-Submitted: auto-replied'],
      'The following address failed: <jane@candidate.example>',
    ],
    [
      'a null sender and a subject that says nothing',
      ['From: no-reply@mx.candidate.example', 'Return-Path: <>', 'Subject: Mail'],
      'Your mail sent on: Mon, 23 Nov 2026\r\n  Could not be delivered to: <jane@candidate.example>\r\n  As their mailbox is full.',
    ],
    [
      'a "failed delivery" subject',
      ['From: MAILER-DAEMON@mx.candidate.example', 'Subject: failed delivery'],
      '<jane@candidate.example>: 550 5.1.1 no such user',
    ],
    [
      'an Exim 3 report',
      ['From: <MAILER-DAEMON@mx.candidate.example>', 'Subject: mail failed, returning to sender'],
      '|---- Failed addresses follow: ----|\r\n jane@candidate.example ... unknown host',
    ],
  ])('takes for a bounce: %s', async (_what, headers, body) => {
    const raw = Buffer.from([...headers, 'To: careers@replies.acme.com', '', body, ''].join('\r\n'));
    expect(classify(await parseMessage(raw, tempDir()), raw).kind).toBe('bounce');
  });

  it("takes the failed recipient from under the report's heading for it, not the first address it names", async () => {
    const body = [
      'The original message was received from careers@acme.com',
      '',
      '---The following addresses had delivery errors---',
      '',
      'postmaster@candidate.example [User unknown]',
      '',
    ].join('\r\n');
    const raw = Buffer.from(
      ['From: MAILER-DAEMON@mx.candidate.example', 'To: careers@replies.acme.com', 'Subject: Returned mail: User unknown', 'Return-Path: <>', '', body].join(
        '\r\n',
      ),
    );
    expect(classify(await parseMessage(raw, tempDir()), raw).bounce).toMatchObject({ recipient: 'postmaster@candidate.example', hard: true });
  });

  it('reads a file without Return-Path as of an unknown sender, not a null one', async () => {
    const person = Buffer.from(
      [
        'From: Jane <jane@candidate.example>',
        'To: careers@replies.acme.com',
        'Subject: Re: Application rejected?',
        '',
        'Was my application rejected? It was not delivered to the team, I think.',
        '',
      ].join('\r\n'),
    );
    expect(classify(await parseMessage(person, tempDir()), person).kind).toBe('message');
    const daemon = Buffer.from(
      [
        'From: MAILER-DAEMON <>',
        'To: careers@replies.acme.com',
        'Subject: Mail delivery failed',
        '',
        'A message that you sent could not be delivered to one or more of its recipients.',
        '',
        '  gone@candidate.example',
        '    550 5.1.1 user unknown',
        '',
      ].join('\r\n'),
    );
    expect(classify(await parseMessage(daemon, tempDir()), daemon).bounce).toMatchObject({ recipient: 'gone@candidate.example', hard: true });
  });

  it('does not take a report of successful delivery for a bounce', async () => {
    expect((await classified('dsn-delivered.eml')).kind).not.toBe('bounce');
  });

  it('extracts the code and the link of a Gmail forwarding confirmation', async () => {
    expect((await classified('gmail-verification.eml')).verification).toEqual({
      provider: 'gmail',
      code: '482913765',
      link: 'https://mail-settings.google.com/mail/vf-%5BANGjdJ8%5D-abc123',
    });
  });

  it.each([
    ['Automatic reply: Interview on Tuesday', 'auto_reply'],
    ['Автоматический ответ: Interview', 'auto_reply'],
    ['Αυτόματη απάντηση: Interview', 'auto_reply'],
    ['Automatická odpověď: Pohovor', 'auto_reply'],
    ['Automatiskt svar: Intervju', 'auto_reply'],
    ['자동 회신: 면접', 'auto_reply'],
    ['Out of Office until Monday', 'auto_reply'],
    ['Re: Interview - my vacationing plans', 'message'],
    ['Re: Automatic replyless systems', 'message'],
  ])('reads the subject %j as %s', async (subject, kind) => {
    const raw = Buffer.from(
      [
        'From: Jane <jane@candidate.example>',
        'To: careers@replies.acme.com',
        `Subject: =?utf-8?B?${Buffer.from(subject).toString('base64')}?=`,
        '',
        'Text.',
        '',
      ].join('\r\n'),
    );
    expect(classify(await parseMessage(raw, tempDir()), raw).kind).toBe(kind);
  });

  it('says why it is an auto-reply', async () => {
    expect((await classified('ooo-auto-submitted.eml')).autoReply).toBe('Auto-Submitted: auto-replied');
  });
});
