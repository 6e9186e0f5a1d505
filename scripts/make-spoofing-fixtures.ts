// node scripts/make-spoofing-fixtures.ts
// Writes fixtures/spoofing: the labelled spoofing set that `npm run eval`
// measures (attacks that must not be filed under a candidate, and authenticated
// mail that must still be). Signed messages need keys: they are made here, the
// public halves go into the set's DNS zone, the private halves are thrown away.
// Run it again only to change the set; the committed files are the set.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forwardWithArc, gmailForwardOfJane, makeSigner, sign, type TestSigner } from '../test/helpers/dkim.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'spoofing');
const exampleOrg = makeSigner('example.org');
const acme = makeSigner('acme.test');
const trustedSealer = makeSigner('forwarder.test', 'arc1');
const otherSealer = makeSigner('lists.untrusted.test', 'arc1');
const client = '198.51.100.7';

const key = (s: TestSigner) => ({ [`${s.selector}._domainkey.${s.domain}`]: { TXT: [s.record] } });
const zone = {
  'example.org': { TXT: [`v=spf1 ip4:192.0.2.10 -all`] },
  'mail.example.org': { TXT: [`v=spf1 ip4:${client} -all`] },
  '_dmarc.example.org': { TXT: ['v=DMARC1; p=reject'] },
  ...key(exampleOrg),
  'evil.example': { TXT: [`v=spf1 ip4:${client} -all`] },
  '_dmarc.evil.example': { TXT: ['v=DMARC1; p=reject'] },
  'examp1e.org': { TXT: [`v=spf1 ip4:${client} -all`] },
  'acme.test': { TXT: ['v=spf1 ip4:192.0.2.99 -all'] },
  '_dmarc.acme.test': { TXT: ['v=DMARC1; p=reject'] },
  ...key(acme),
  'spfonly.example': { TXT: [`v=spf1 ip4:${client} -all`] },
  'mailer.example': { TXT: [`v=spf1 ip4:${client} -all`] },
  'forwarder.test': { TXT: [`v=spf1 ip4:${client} -all`] },
  ...key(trustedSealer),
  'lists.untrusted.test': { TXT: [`v=spf1 ip4:${client} -all`] },
  ...key(otherSealer),
  'mx.mta.example': { TXT: [`v=spf1 ip4:${client} -all`] },
};

let n = 0;
const head = (from: string, subject = 'Re: your application', extra = ''): string =>
  `From: ${from}\r\nTo: careers@replies.acme.test\r\nSubject: ${subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <spoof-${++n}@fixtures.example>\r\n${extra}`;
const gmailForward = gmailForwardOfJane('jobs@acme.test');

interface Case {
  file: string;
  kind: 'attack' | 'legitimate';
  what: string;
  envelope: { clientIp: string; helo: string; mailFrom: string; rcptTo: string[] };
  expected: { status: 'assigned' | 'unassigned'; reason?: string; candidate?: string };
}
const cases: Case[] = [];
const messages: Record<string, string> = {};
function add(file: string, kind: Case['kind'], what: string, mailFrom: string, rcpt: string, message: string, expected: Case['expected']): void {
  cases.push({ file, kind, what, envelope: { clientIp: client, helo: 'mx.mta.example', mailFrom, rcptTo: [rcpt] }, expected });
  messages[file] = message;
}

async function build(): Promise<void> {
  const reply = 'Tuesday at ten works for me.\r\n';
  add(
    'x-original-from.eml',
    'attack',
    'X-Original-From naming the candidate, from a stranger whose own SPF and DMARC pass',
    'mallory@evil.example',
    'acme-jobs@in.mailroom.test',
    `${head('mallory@evil.example', 'Application', 'X-Original-From: Jane Doe <jane.doe@example.org>\r\n')}\r\n${reply}`,
    { status: 'unassigned', reason: 'unknown_sender' },
  );
  add(
    'resent-from.eml',
    'attack',
    'Resent-From and X-Forwarded-For claiming a forward of the candidate',
    'mallory@evil.example',
    'acme-jobs@in.mailroom.test',
    `${head('Jane Doe <jane.doe@example.org>', 'Application', 'Resent-From: jobs@acme.test\r\nX-Forwarded-For: jobs@acme.test\r\n')}\r\n${reply}`,
    { status: 'unassigned', reason: 'dmarc_fail' },
  );
  add(
    'forged-tenant-forward.eml',
    'attack',
    'a forged tenant address (failing its DMARC p=reject) with a forwarded block',
    'hr@acme.test',
    'acme-jobs@in.mailroom.test',
    `${head('HR <hr@acme.test>', 'Fwd: Application')}\r\n${gmailForward}`,
    { status: 'unassigned', reason: 'dmarc_fail' },
  );
  add(
    'two-from.eml',
    'attack',
    'two From mailboxes, one the candidate (DMARC cannot judge it)',
    'mallory@evil.example',
    'careers@replies.acme.test',
    `${head('jane.doe@example.org, mallory@evil.example')}\r\n${reply}`,
    { status: 'unassigned', reason: 'unauthenticated_sender' },
  );
  add(
    'no-dmarc-forgery.eml',
    'attack',
    'a plain forged From on a domain with no SPF, DKIM or DMARC',
    'noah@nodmarc.example',
    'careers@replies.acme.test',
    `${head('Noah <noah@nodmarc.example>')}\r\n${reply}`,
    { status: 'unassigned', reason: 'unauthenticated_sender' },
  );
  add(
    'display-name.eml',
    'attack',
    "the candidate's name over the attacker's address",
    'mallory@evil.example',
    'careers@replies.acme.test',
    `${head('"Jane Doe (jane.doe@example.org)" <mallory@evil.example>')}\r\n${reply}`,
    { status: 'unassigned', reason: 'unknown_sender' },
  );
  add(
    'lookalike.eml',
    'attack',
    'a look-alike domain with its own SPF',
    'jane.doe@examp1e.org',
    'careers@replies.acme.test',
    `${head('Jane Doe <jane.doe@examp1e.org>')}\r\n${reply}`,
    { status: 'unassigned', reason: 'unknown_sender' },
  );
  const janeSigned = await sign(`${head('Jane Doe <jane.doe@example.org>')}\r\nHello from Jane.\r\n`, exampleOrg);
  add(
    'untrusted-arc.eml',
    'attack',
    'a broken DKIM signature behind an ARC seal nobody trusts',
    'bounce@lists.untrusted.test',
    'careers@replies.acme.test',
    await forwardWithArc(
      janeSigned.replace('Hello from Jane.', 'Hello from Jane, via a list.'),
      otherSealer,
      'lists.untrusted.test; dmarc=pass header.from=example.org; dkim=pass header.d=example.org',
    ),
    { status: 'unassigned', reason: 'dmarc_fail' },
  );
  add(
    'forged-dsn.eml',
    'attack',
    'a forged bounce naming only the candidate as failed recipient',
    'mallory@evil.example',
    'careers@replies.acme.test',
    [
      head(
        'Mail Delivery System <mailer-daemon@evil.example>',
        'Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n',
      ),
      '--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n',
      '--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.example\r\n\r\nFinal-Recipient: rfc822; jane.doe@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n',
      '--r--\r\n',
    ].join(''),
    { status: 'unassigned', reason: 'bounce_unmatched' },
  );

  add(
    'spf-aligned.eml',
    'legitimate',
    'aligned SPF where the domain publishes no DMARC',
    'sam@spfonly.example',
    'careers@replies.acme.test',
    `${head('Sam <sam@spfonly.example>')}\r\n${reply}`,
    { status: 'assigned', candidate: 'c-sam' },
  );
  add(
    'spf-subdomain.eml',
    'legitimate',
    'DMARC pass by relaxed SPF alignment (a subdomain MAIL FROM)',
    'bounce@mail.example.org',
    'careers@replies.acme.test',
    `${head('Jane Doe <jane.doe@example.org>')}\r\n${reply}`,
    { status: 'assigned', candidate: 'c-jane' },
  );
  add(
    'dkim-third-party.eml',
    'legitimate',
    'DKIM through a third-party mailer (SPF unaligned)',
    'bounces+42@mailer.example',
    'careers@replies.acme.test',
    janeSigned,
    { status: 'assigned', candidate: 'c-jane' },
  );
  add(
    'tenant-forward.eml',
    'legitimate',
    "a DKIM-signed forward by the tenant's own person",
    'rita@acme.test',
    'acme-jobs@in.mailroom.test',
    await sign(`${head('Rita Recruiter <rita@acme.test>', 'Fwd: Application')}\r\n${gmailForward}`, acme),
    { status: 'assigned', candidate: 'c-jane' },
  );
  add(
    'trusted-arc.eml',
    'legitimate',
    'an ARC-sealed automatic forward from a trusted sealer whose hop broke DKIM',
    'SRS0=ab=ZZ=example.org=jane.doe@forwarder.test',
    'acme-jobs@in.mailroom.test',
    await forwardWithArc(
      janeSigned.replace('Hello from Jane.', 'Hello from Jane.\r\n-- \r\nScanned by forwarder.test'),
      trustedSealer,
      'mx.forwarder.test; dkim=pass header.d=example.org; dmarc=pass header.from=example.org',
    ),
    { status: 'assigned', candidate: 'c-jane' },
  );
  add(
    'genuine-dsn.eml',
    'legitimate',
    'a bounce naming the Message-ID of our own message',
    '',
    'careers@replies.acme.test',
    [
      head(
        'Mail Delivery System <mailer-daemon@mx.mta.example>',
        'Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n',
      ),
      '--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n',
      '--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.mta.example\r\n\r\nFinal-Recipient: rfc822; jane.doe@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n',
      '--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: jobs@acme.test\r\nTo: jane.doe@example.org\r\nSubject: Your application\r\nMessage-ID: <0f3c2a9e4b7d4e1a8c6f5d2b9a0e7c31@acme.test>\r\n',
      '--r--\r\n',
    ].join(''),
    { status: 'assigned', candidate: 'c-jane' },
  );
}

await build();
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const [file, message] of Object.entries(messages)) writeFileSync(join(dir, file), message);
writeFileSync(join(dir, 'zone.json'), `${JSON.stringify(zone, null, 2)}\n`);
const world = {
  tenant: { domains: ['acme.test'], replyDomains: ['replies.acme.test'], forwardAddresses: ['acme-jobs@in.mailroom.test'], inboxes: ['jobs@acme.test'] },
  candidates: [
    { externalId: 'c-jane', emails: ['jane.doe@example.org'] },
    { externalId: 'c-noah', emails: ['noah@nodmarc.example'] },
    { externalId: 'c-sam', emails: ['sam@spfonly.example'] },
  ],
  outbound: [{ id: 'O1', messageId: '0f3c2a9e4b7d4e1a8c6f5d2b9a0e7c31@acme.test', recipient: 'jane.doe@example.org', candidate: 'c-jane' }],
  trustedArcSealers: ['forwarder.test'],
};
writeFileSync(join(dir, 'cases.json'), `${JSON.stringify({ world, cases }, null, 2)}\n`);
process.stdout.write(`wrote ${cases.length} cases to ${dir}\n`);
