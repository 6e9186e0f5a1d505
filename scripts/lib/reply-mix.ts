// A mix of messages as replies to a recruiting platform arrive, written here
// for the pipeline benchmark: a short plain reply over one quoted message, a
// Gmail reply (text and HTML) over a quoted thread, an Outlook top-post over
// header-block histories, a reply with a CV attached, an out-of-office
// auto-reply, and a reply on top of a long quoted thread. Sizes run from
// half a kilobyte to 200 KB, as real mail does; the fixtures of the tests are
// all small.
const PARAGRAPH = 'Thank you for the invitation. I would be glad to come in for the interview and talk about the role, the team and how I could help.';

function header(subject: string, contentType: string, extra = ''): string {
  return [
    'From: Jane Doe <jane@example.org>',
    'To: Acme Careers <careers@replies.acme.com>',
    `Subject: ${subject}`,
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    'Message-ID: <reply-mix@example.org>',
    'In-Reply-To: <outbound-1@acme.com>',
    ...(extra ? [extra] : []),
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
    '',
    '',
  ].join('\r\n');
}

/** `messages` earlier messages, each quoted Gmail's way under its "On ... wrote:" line. */
function gmailHistory(messages: number): string {
  return Array.from(
    { length: messages },
    (_, i) => `On Mon, 16 Nov 2026 at 09:${String(i).padStart(2, '0')}, Acme Careers <careers@acme.com> wrote:\r\n${`> ${PARAGRAPH}\r\n`.repeat(8 + i)}`,
  ).join('>\r\n');
}

/** `messages` earlier messages, each under Outlook's header block, without quote marks. */
function outlookHistory(messages: number): string {
  return Array.from(
    { length: messages },
    (_, i) =>
      `\r\n________________________________\r\nFrom: Acme Careers <careers@acme.com>\r\nSent: Monday, November ${16 - i}, 2026 9:00 AM\r\nTo: Jane Doe <jane@example.org>\r\nSubject: RE: Interview\r\n\r\n${`${PARAGRAPH}\r\n`.repeat(6)}`,
  ).join('');
}

/** The text and an HTML rendering of it (quoted-printable, as clients send it) as alternatives. */
function alternative(text: string): string {
  const html = `<html><body><div dir="ltr">${text
    .split('\r\n')
    .map((line) => `<div>${line.replace(/&/g, '&amp;').replace(/</g, '&lt;') || '<br>'}</div>`)
    .join('')}</div></body></html>`;
  const qp = html.replace(/=/g, '=3D').replace(/(.{72})/g, '$1=\r\n');
  return `--alt\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n${text}\r\n--alt\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp}\r\n--alt--\r\n`;
}

export function replyMix(): Buffer[] {
  const cv = Buffer.alloc(150 * 1024, 37)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');
  return [
    header('Re: Interview', 'text/plain; charset=UTF-8') + `Tuesday at 10 works for me.\r\n\r\nBest,\r\nJane\r\n\r\n${gmailHistory(1)}`,
    header('Re: Interview', 'multipart/alternative; boundary="alt"') + alternative(`Sounds good, see you then.\r\n\r\nJane\r\n\r\n${gmailHistory(5)}`),
    header('RE: Interview', 'multipart/alternative; boundary="alt"') +
      alternative(`Hi,\r\n\r\nYes, that time suits me.\r\n\r\nKind regards,\r\nJane Doe${outlookHistory(5)}`),
    header('Re: Application', 'multipart/mixed; boundary="mix"') +
      `--mix\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nPlease find my CV attached.\r\n\r\nJane\r\n--mix\r\nContent-Type: application/pdf; name="cv.pdf"\r\nContent-Disposition: attachment; filename="cv.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${cv}\r\n--mix--\r\n`,
    header('Automatic reply: Interview', 'text/plain; charset=UTF-8', 'Auto-Submitted: auto-replied') +
      'I am out of the office until Monday and will answer then.\r\n',
    header('Re: Interview', 'text/plain; charset=UTF-8') + `Thanks!\r\n\r\n${gmailHistory(20)}`,
  ].map((message) => Buffer.from(message, 'utf8'));
}

/** The texts reply extraction is timed on: a reply of about 4 KB over a short quoted thread, and one on top of a 128 KB thread. */
export function replyTextSamples(): { name: string; text: string }[] {
  const own = 'Hi Anna,\n\nTuesday at 10 works for me. I will bring my portfolio and the references you asked for.\n\nBest,\nJane\n\n';
  const sized = (history: (n: number) => string, bytes: number): string => {
    let n = 1;
    while ((own + history(n)).length < bytes) n++;
    return (own + history(n)).replace(/\r\n/g, '\n');
  };
  return [
    { name: '4 KB reply', text: sized(gmailHistory, 4 * 1024) },
    { name: '128 KB thread', text: sized((n) => gmailHistory(n) + outlookHistory(n), 128 * 1024) },
  ];
}
