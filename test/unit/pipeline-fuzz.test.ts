// Malformed MIME at the pipeline's entry: whatever the bytes, the pipeline
// finishes with a result (at worst kind unparseable) and never throws or hangs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zoneResolver } from '../../src/dns/index.ts';
import { runPipeline } from '../../src/pipeline/stages.ts';
import { tempDir } from '../helpers/server.ts';

const envelope = {
  sessionId: 's',
  clientIp: '192.0.2.1',
  clientPort: 1,
  helo: 'x.example',
  mailFrom: 'a@x.example',
  rcptTo: ['c@replies.acme.com'],
  tls: null,
};

const headerLine = fc.oneof(
  fc.constantFrom(
    'From: a@x.example',
    'From: =?utf-8?B?broken',
    'From: <<<>>>',
    'Subject: =?iso-8859-1?Q?=E9t=E9?=',
    'Subject: =?x-unknown?B?AAAA?=',
    'Content-Type: multipart/mixed; boundary="b"',
    'Content-Type: multipart/mixed',
    'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
    'Content-Transfer-Encoding: base64',
    'Content-Transfer-Encoding: quoted-printable',
    'Content-Type: text/plain; charset=unknown-charset',
    'Content-Type: message/rfc822',
    'Message-ID: <<a>>',
    'Date: not a date',
    'Auto-Submitted: auto-replied',
    'References: < > <x@y>',
  ),
  fc.string({ maxLength: 200 }).map((s) => `X-Fuzz: ${s.replace(/[\r\n]/g, ' ')}`),
);
const bodyPart = fc.oneof(
  fc.constantFrom(
    '--b',
    '--b--',
    '--b\r\nContent-Type: text/plain\r\n\r\nhello',
    '--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; x@y\r\nStatus: 5.1.1',
    '=E9=ZZ=\r\n',
    'SGVsbG8gd29ybGQ=',
    '!!!not base64!!!',
    '> quoted\r\n> more',
    'On Mon, Nov 23, 2026 at 9:00 AM X <x@y> wrote:',
    '---------- Forwarded message ---------\r\nFrom: A <a@b.example>',
  ),
  fc.string({ maxLength: 500 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);
const message = fc
  .tuple(fc.array(headerLine, { maxLength: 12 }), fc.array(bodyPart, { maxLength: 20 }), fc.nat({ max: 30 }))
  .map(([headers, body, nesting]) => {
    const nested = Array.from({ length: nesting }, (_, i) => `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n`).join('');
    return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${nested}${body.join('\r\n')}\r\n`, 'latin1');
  });

function withinSeconds<T>(promise: Promise<T>, seconds: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no result within ${seconds} s: the pipeline hangs`)), seconds * 1000)),
  ]);
}

describe('pipeline on malformed MIME', () => {
  it('always finishes with a classification', async () => {
    const deps = { resolver: zoneResolver({}), mta: 'mx.mailroom.test', dataDir: tempDir() };
    await fc.assert(
      fc.asyncProperty(message, async (raw) => {
        const { processed } = await withinSeconds(runPipeline({ raw, envelope, lastAttempt: true }, deps), 10);
        expect(['message', 'bounce', 'auto_reply', 'forwarding_verification', 'feedback_report', 'mailing_list', 'unparseable']).toContain(
          processed.classification.kind,
        );
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});
