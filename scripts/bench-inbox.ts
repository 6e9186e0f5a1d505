// npm run bench:inbox [-- --messages N]
// Inbox intake: a real `mailroom serve` reads N messages (default 10,000, about
// 2 KB each) from a Dovecot folder over IMAP: messages stored per second, the
// server's peak memory, and how long until the pipeline has processed them all.
// Next to it, in the same run, the same messages over SMTP into a fresh server
// (four persistent connections): the intake mailroom was built around. Prints
// figures and the ratio, asserts nothing. Needs Dovecot and root (the test
// Dovecot drops to its own user); says so and stops otherwise.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/store/index.ts';
import { dovecotUnavailable, startDovecot } from '../test/support/dovecot.ts';
import { rssMb, startMailroomServe, type MailroomServer } from './lib/processes.ts';
import { runLoad } from './lib/smtp-load.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '10000' } } });
const total = Number(values.messages);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const unavailable = dovecotUnavailable();
if (unavailable) {
  process.stdout.write(`# Inbox intake over IMAP\n\nskipped: ${unavailable}\n`);
  process.exit(0);
}

const USER = 'jobs@acme.com';
const dir = mkdtempSync(join(tmpdir(), 'mailroom-bench-inbox-'));
// Dovecot's own processes (its user) reach its files below this directory.
chmodSync(dir, 0o755);

function message(n: number): string {
  const body = `Dear recruiting team,\r\n\r\nplease find my application for the position below. ${'I would be glad to talk about it. '.repeat(40)}\r\n\r\nJane\r\n`;
  return [
    'Return-Path: <jane@candidate.example>',
    'Authentication-Results: mx.provider.test; spf=pass smtp.mailfrom=candidate.example; dkim=pass header.d=candidate.example; dmarc=pass header.from=candidate.example',
    'From: Jane Doe <jane@candidate.example>',
    `To: ${USER}`,
    `Subject: Application ${n}`,
    `Message-ID: <bench-inbox-${n}@candidate.example>`,
    'Date: Fri, 04 Dec 2026 10:00:00 +0000',
    '',
    body,
  ].join('\r\n');
}

function cli(dataDir: string, args: string[], env: Record<string, string> = {}): void {
  const run = spawnSync(process.execPath, ['bin/mailroom.js', ...args], { env: { ...process.env, MAILROOM_DATA_DIR: dataDir, ...env }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`mailroom ${args.join(' ')}: ${run.stderr}`);
}

/** Polls `count` until it reaches `target`, sampling the server's memory; returns seconds taken and peak RSS. */
async function until(server: MailroomServer, count: () => number, target: number, limitSeconds: number): Promise<{ seconds: number; peakMb: number }> {
  const start = performance.now();
  let peakMb = 0;
  while (count() < target) {
    peakMb = Math.max(peakMb, rssMb(server.server.child.pid as number));
    if (performance.now() - start > limitSeconds * 1000) throw new Error(`only ${count()} of ${target} after ${limitSeconds} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { seconds: (performance.now() - start) / 1000, peakMb };
}

function prepare(name: string): string {
  const dataDir = join(dir, name);
  mkdirSync(dataDir, { recursive: true });
  cli(dataDir, ['tenants', 'add', 'acme', '--domain', 'acme.com', '--reply-domain', 'replies.acme.com']);
  return dataDir;
}

try {
  const dovecot = await startDovecot(join(dir, 'dovecot'));
  dovecot.addUser(USER, 'mailbox-password');
  const messages = Array.from({ length: total }, (_, i) => message(i));
  dovecot.deliver(USER, 'INBOX', messages);
  log(`delivered ${total} messages into the Dovecot folder`);

  // IMAP: the inbox is added before the server starts, so the clock runs from its first look.
  const imapDir = prepare('imap');
  cli(
    imapDir,
    ['inboxes', 'add', '--tenant', 'acme', '--address', USER, '--imap-host', '127.0.0.1', '--imap-port', String(dovecot.port)].concat([
      '--imap-security',
      'none',
      '--allow-plain',
      '--password-env',
      'INBOX_PASSWORD',
      '--trust-authserv-id',
      'mx.provider.test',
    ]),
    { INBOX_PASSWORD: 'mailbox-password' },
  );
  const imapServer = await startMailroomServe(imapDir, {});
  const imapDb = openDatabase(imapDir, { readonly: true });
  const imported = imapDb.prepare('SELECT COUNT(*) FROM inbox_imports').pluck();
  const processed = imapDb.prepare(`SELECT COUNT(*) FROM jobs WHERE state = 'done'`).pluck();
  const imap = await until(imapServer, () => imported.get() as number, total, 600);
  const imapProcessed = await until(imapServer, () => processed.get() as number, total, 600);
  imapDb.close();
  await imapServer.server.stop();
  log(`IMAP: ${total} stored in ${imap.seconds.toFixed(1)} s`);

  // SMTP: the same messages, the same server, over four persistent connections.
  const smtpDir = prepare('smtp');
  const smtpServer = await startMailroomServe(smtpDir, {});
  const smtpDb = openDatabase(smtpDir, { readonly: true });
  const stored = smtpDb.prepare('SELECT COUNT(*) FROM messages').pluck();
  const smtpProcessed = smtpDb.prepare(`SELECT COUNT(*) FROM jobs WHERE state = 'done'`).pluck();
  const sample = Buffer.from(messages[0] as string, 'latin1');
  let smtpPeak = 0;
  const sampler = setInterval(() => (smtpPeak = Math.max(smtpPeak, rssMb(smtpServer.server.child.pid as number))), 50);
  const load = await runLoad({
    port: smtpServer.server.port,
    connections: 4,
    persistent: true,
    message: sample,
    recipient: 'careers@replies.acme.com',
    seconds: 600,
    maxMessages: total,
  });
  clearInterval(sampler);
  const smtpAll = await until(smtpServer, () => smtpProcessed.get() as number, total, 600);
  const smtpStored = stored.get() as number;
  smtpDb.close();
  await smtpServer.server.stop();
  await dovecot.stop();

  const imapRate = total / imap.seconds;
  const rows = [
    `| IMAP inbox intake | ${total} | ${imapRate.toFixed(0)} | ${(imap.seconds + imapProcessed.seconds).toFixed(1)} s | ${Math.max(imap.peakMb, imapProcessed.peakMb).toFixed(0)} MB |`,
    `| SMTP intake (4 persistent connections) | ${smtpStored} | ${load.perSecond.toFixed(0)} | ${(load.seconds + smtpAll.seconds).toFixed(1)} s | ${Math.max(smtpPeak, smtpAll.peakMb).toFixed(0)} MB |`,
  ];
  process.stdout.write(
    [
      '# Inbox intake over IMAP',
      '',
      `${total} messages of ${sample.length} bytes, read from a Dovecot folder on loopback (IDLE, batches of 100 per transaction), next to the same messages over SMTP in the same run.`,
      '',
      '| intake | messages | stored per second | until all processed | peak server RSS |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      `IMAP stores at ${(imapRate / load.perSecond).toFixed(2)}x the SMTP rate.`,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
