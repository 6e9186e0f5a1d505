// npm run bench:relay [-- --messages N --paced N --delay-ms N]
// Sends per second through the relay (the outbound queue on a real SQLite file,
// claims, pooled transport, results recorded) to a local provider in another
// process, next to nodemailer alone on one pooled connection to the same
// provider in the same run (the target is >= 80% of it). Then how closely the
// relay's pacing holds to an account's configured delay between emails. Where
// Dovecot is installed (and the run is root), the same number of sends with a
// copy of each filed in a Sent folder over IMAP, next to the sends without.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { composeOutbound, Relay } from '../src/relay/index.ts';
import { loadKeyring, type Keyring } from '../src/secrets/index.ts';
import {
  AccountStore,
  createRepositories,
  openDatabase,
  TenantStore,
  type Account,
  type Database,
  type Repositories,
  type SentCopySettings,
  SqliteSql,
} from '../src/store/index.ts';
import { dovecotUnavailable, startDovecot } from '../test/support/dovecot.ts';
import { startChild } from './lib/processes.ts';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '2000' }, paced: { type: 'string', default: '30' }, 'delay-ms': { type: 'string', default: '100' } },
});
const messageCount = Number(values.messages);
const pacedCount = Number(values.paced);
const delayMs = Number(values['delay-ms']);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const TEXT = 'Dear Jane,\r\n\r\nthank you for your application. Would Tuesday at 10:00 suit you for a first call?\r\n\r\nBest regards,\r\nAcme Recruiting\r\n';

const dir = mkdtempSync(join(tmpdir(), 'mailroom-bench-relay-'));
const provider = await startChild(
  [new URL('./lib/sink-server.ts', import.meta.url).pathname],
  { ...process.env, SINK_AUTH: '1' },
  join(dir, 'provider.log'),
  (e) => e.port as number | undefined,
);

async function setup(db: Database, keyring: Keyring, name: string, delay: number, sentCopy?: SentCopySettings): Promise<Account> {
  const tenants = new TenantStore(SqliteSql.of(db), () => new Date());
  const tenant =
    (await tenants.get('acme')) ?? (await tenants.add({ slug: 'acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] }));
  return await new AccountStore(SqliteSql.of(db)).add(
    {
      tenantId: tenant.id,
      name,
      provider: 'custom',
      host: '127.0.0.1',
      port: provider.port,
      security: 'none',
      tlsCa: null,
      username: 'bench',
      authMethod: 'password',
      sealedSecret: keyring.seal(JSON.stringify({ password: 'bench-password' })),
      fromAddress: 'recruiter@acme.com',
      fromName: 'Acme Recruiting',
      sendingDomain: 'acme.com',
      dkimSelector: null,
      replyLocal: 'careers',
      owner: null,
      isDefault: false,
      delayMs: delay,
      perMinute: 0,
      perDay: 0,
      ...(sentCopy ? { sentCopy, sealedImapSecret: keyring.seal(JSON.stringify({ password: 'imap-password' })) } : {}),
    },
    new Date().toISOString(),
  );
}

/** Sends of `count` messages with a Sent copy each (Dovecot on loopback): sends/s, and copies/s until the last is filed. */
async function withSentCopies(db: Database, keyring: Keyring, relay: Relay, repositories: Repositories, already: number, count: number) {
  // Beside, not inside, the benchmark's directory: the dovecot user must reach it.
  const dovecotDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-dovecot-'));
  const dovecot = await startDovecot(dovecotDir);
  try {
    dovecot.addUser('bench', 'imap-password');
    const account = await setup(db, keyring, 'with-copies', 0, {
      mode: 'imap',
      host: '127.0.0.1',
      port: dovecot.port,
      security: 'none',
      username: 'bench',
      folder: null,
    });
    for (let i = 0; i < count; i++)
      await composeOutbound(
        { repositories, keyring, now: new Date() },
        { tenant: 'acme', accountId: account.id, to: `s${i}@candidate.example`, subject: 'Copied', text: TEXT },
      );
    const started = performance.now();
    await drain(relay, db, already + count);
    const sendSeconds = (performance.now() - started) / 1000;
    const copied = db.prepare(`SELECT COUNT(*) FROM sent_copies WHERE state = 'copied'`).pluck();
    const deadline = Date.now() + 120_000;
    while ((copied.get() as number) < count && Date.now() < deadline) {
      await relay.runOnce();
      await new Promise((r) => setTimeout(r, 5));
    }
    const allSeconds = (performance.now() - started) / 1000;
    return { sendRate: count / sendSeconds, copyRate: (copied.get() as number) / allSeconds, copied: copied.get() as number };
  } finally {
    await dovecot.stop();
    rmSync(dovecotDir, { recursive: true, force: true });
  }
}

async function nodemailerAlone(count: number): Promise<number> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: provider.port,
    secure: false,
    ignoreTLS: true,
    auth: { user: 'bench', pass: 'bench-password' },
    pool: true,
    maxConnections: 1,
    maxMessages: 100,
  });
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await transport.sendMail({
      from: { name: 'Acme Recruiting', address: 'recruiter@acme.com' },
      to: `c${i}@candidate.example`,
      subject: 'Your application',
      text: TEXT,
      replyTo: 'careers+abcdefghijkl@replies.acme.com',
      messageId: `<bench-${i}@acme.com>`,
    });
  }
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return count / seconds;
}

async function drain(relay: Relay, db: Database, total: number): Promise<void> {
  const sent = db.prepare(`SELECT COUNT(*) FROM outbound_messages WHERE status = 'sent'`).pluck();
  while ((sent.get() as number) < total) {
    // Always back to the event loop: a pass that only starts Sent copies resolves at once, and their IMAP I/O needs turns too.
    if ((await relay.runOnce()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

try {
  // As the relay thread opens it (see relay/relay-thread.ts).
  const db = openDatabase(join(dir, 'data'), { synchronous: 'NORMAL' });
  const keyring = loadKeyring({ dataDir: join(dir, 'data'), key: '', previousKey: '' }, { create: true }) as Keyring;
  // The stand-in provider listens on loopback.
  const settings = { ...configSchema.parse({}).relay, allowPrivateNetworks: true };
  const repositories = createRepositories(db, { dataDir: join(dir, 'data'), now: () => new Date() });
  const relay = new Relay({
    repositories,
    keyring: () => keyring,
    settings,
    hostname: 'bench.mailroom.test',
    log: createLogger('silent'),
    nowMs: Date.now,
    // The account's server is an IP literal: nothing is looked up.
    resolver: () => Promise.reject(new Error('no DNS in the benchmark')),
  });

  // Warm both paths up (JIT, connections) before measuring.
  await nodemailerAlone(50);
  const warm = await setup(db, keyring, 'warm-up', 0);
  for (let i = 0; i < 50; i++)
    await composeOutbound(
      { repositories, keyring, now: new Date() },
      { tenant: 'acme', accountId: warm.id, to: `w${i}@candidate.example`, subject: 'Warm-up', text: TEXT },
    );
  await drain(relay, db, 50);

  log(`${messageCount} messages, one pooled connection each side`);
  const baseline = await nodemailerAlone(messageCount);
  const fast = await setup(db, keyring, 'unpaced', 0);
  const composeStart = performance.now();
  for (let i = 0; i < messageCount; i++)
    await composeOutbound(
      { repositories, keyring, now: new Date() },
      { tenant: 'acme', accountId: fast.id, to: `c${i}@candidate.example`, subject: 'Your application', text: TEXT },
    );
  const composeRate = messageCount / ((performance.now() - composeStart) / 1000);
  const relayStart = performance.now();
  await drain(relay, db, 50 + messageCount);
  const relayRate = messageCount / ((performance.now() - relayStart) / 1000);

  log(`${pacedCount} messages at --delay-ms ${delayMs}`);
  const paced = await setup(db, keyring, 'paced', delayMs);
  for (let i = 0; i < pacedCount; i++)
    await composeOutbound(
      { repositories, keyring, now: new Date() },
      { tenant: 'acme', accountId: paced.id, to: `p${i}@candidate.example`, subject: 'Paced', text: TEXT },
    );
  await drain(relay, db, 50 + messageCount + pacedCount);
  const noDovecot = dovecotUnavailable();
  let copies: Awaited<ReturnType<typeof withSentCopies>> | null = null;
  if (!noDovecot) {
    log(`${messageCount} messages with a copy each in Sent (IMAP APPEND to Dovecot)`);
    copies = await withSentCopies(db, keyring, relay, repositories, 50 + messageCount + pacedCount, messageCount);
  }
  const times = (db.prepare('SELECT sent_at FROM outbound_messages WHERE account_id = ? ORDER BY sent_at').pluck().all(paced.id) as string[]).map((t) =>
    Date.parse(t),
  );
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  gaps.sort((a, b) => a - b);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const p95 = gaps[Math.floor(gaps.length * 0.95)] as number;
  await relay.stop();
  db.close();

  const rows = [
    ['nodemailer alone (pooled, 1 connection)', `${baseline.toFixed(0)} msg/s`],
    ['mailroom relay (queue + pooled transport)', `${relayRate.toFixed(0)} msg/s`],
    ['relay / nodemailer', `${((relayRate / baseline) * 100).toFixed(0)} % (target >= 80 %)`],
    ['composing into the queue', `${composeRate.toFixed(0)} msg/s`],
    [`pacing at ${delayMs} ms: mean gap`, `${mean.toFixed(1)} ms (${(((mean - delayMs) / delayMs) * 100).toFixed(1)} % off)`],
    [`pacing: min / p95 / max gap`, `${gaps[0]} / ${p95} / ${gaps[gaps.length - 1]} ms`],
    ...(copies
      ? [
          ['relay sends with Sent copies', `${copies.sendRate.toFixed(0)} msg/s (${((copies.sendRate / relayRate) * 100).toFixed(0)} % of the sends without)`],
          ['Sent copies filed (IMAP APPEND)', `${copies.copyRate.toFixed(0)} msg/s, ${copies.copied} of ${messageCount}`],
        ]
      : [['Sent copies', `skipped: ${noDovecot}`]]),
  ];
  const width = Math.max(...rows.map(([k]) => (k as string).length));
  for (const [k, v] of rows) process.stdout.write(`${(k as string).padEnd(width)}  ${v}\n`);
} finally {
  await provider.stop();
  rmSync(dir, { recursive: true, force: true });
}
