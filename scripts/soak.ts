// npm run soak -- --minutes N [--report FILE] [--nodes N --postgres]
// Mixed traffic through SMTP (replies, replies to reply tokens, hand forwards,
// auto-forwards, bounces, auto-replies, oversize and malformed messages, hostile
// clients), outreach through the relay to a local provider that answers some
// recipients with 451, webhooks to a local receiver that fails some requests,
// while the server is SIGKILLed and restarted at random intervals. With
// --postgres the nodes share a private PostgreSQL (Debian's package, initdb in
// the soak's directory), and with --nodes N there are N of them, the traffic
// spread over them and a random one killed each time. At the end
// it lets the server drain and checks the invariants:
//   every message answered 250 is stored exactly once and processed;
//   every outbound message is sent, or failed with the provider's reason;
//   every event is delivered to the webhook at least once;
//   memory and file descriptors stay bounded.
// Prints a Markdown report; exits 1 when an invariant does not hold.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { composeOutbound } from '../src/relay/compose.ts';
import { createContext } from '../src/context.ts';
import { newWebhookSecret } from '../src/webhooks/signing.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { startChild, type ServerChild } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    report: { type: 'string' },
    nodes: { type: 'string', default: '1' },
    postgres: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const nodeCount = Number(values.nodes);
if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error('--nodes takes a whole number, 1 or more');
if (nodeCount > 1 && !values.postgres) throw new Error('several nodes share a PostgreSQL database: add --postgres');
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const RSS_LIMIT_MB = 700;
const FD_LIMIT = 1000;
const dir = mkdtempSync(join(tmpdir(), 'mailroom-soak-'));
/** Each node's own data dir (on SQLite the one node's holds the database). */
const dataDirs = Array.from({ length: nodeCount }, (_, i) => join(dir, nodeCount === 1 ? 'data' : `node-${i}`));
const dataDir = dataDirs[0] as string;
const cluster = values.postgres ? await startPostgres(mkdtempSync(join(tmpdir(), 'mailroom-soak-pg-'))) : null;
const databaseUrl = cluster ? await cluster.createDatabase('soak') : '';
const secretKey = cluster ? randomBytes(32).toString('base64') : '';

// --- the world around the server: a provider, a webhook receiver ---
const provider = await startChild(
  [new URL('./lib/sink-server.ts', import.meta.url).pathname],
  { ...process.env, SINK_AUTH: '1', SINK_FAIL_RATE: '0.15' },
  join(dir, 'provider.log'),
  (e) => e.port as number | undefined,
);
const receiver = { events: new Set<string>(), requests: 0, failRate: 0.1 };
const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    receiver.requests++;
    if (Math.random() < receiver.failRate) {
      res.statusCode = 503;
      return res.end();
    }
    receiver.events.add(String(req.headers['webhook-id']));
    res.statusCode = 204;
    res.end();
  });
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/hooks`;

// --- seed: a tenant, candidates, a sending account, a webhook ---
const ctx = await createContext(configSchema.parse({ data: { dir: dataDir }, database: { url: databaseUrl }, secret: { key: secretKey } }), {
  log: createLogger('silent'),
});
const repositories = ctx;
const keyring = ctx.keyring();
const tenant = await ctx.tenants.add({
  slug: 'acme',
  domains: ['acme.com'],
  replyDomains: ['replies.acme.com'],
  forwardAddresses: ['acme-jobs@in.mailroom.test'],
});
const candidates = ctx.candidates;
for (let i = 0; i < 100; i++) await candidates.upsert('acme', { externalId: `c-${i}`, name: `Candidate ${i}`, emails: [`person${i}@candidate.example`] });
await ctx.accounts.add(
  {
    tenantId: tenant.id,
    name: 'soak',
    provider: 'custom',
    host: '127.0.0.1',
    port: provider.port,
    security: 'none',
    tlsCa: null,
    username: 'bench',
    authMethod: 'password',
    sealedSecret: keyring.seal(JSON.stringify({ password: 'bench-password' })),
    fromAddress: 'recruiter@acme.com',
    fromName: 'Acme',
    sendingDomain: 'acme.com',
    dkimSelector: null,
    replyLocal: 'careers',
    owner: null,
    isDefault: true,
    delayMs: 0,
    perMinute: 0,
    perDay: 0,
  },
  new Date().toISOString(),
);
await ctx.webhooks.add(tenant.id, receiverUrl, null, keyring.seal(newWebhookSecret()), new Date().toISOString());
const zone = join(dir, 'zone.json');
// The candidates' domain lets the soak's client (127.0.0.1) send for it: their replies are authenticated (aligned SPF).
writeFileSync(zone, JSON.stringify({ 'candidate.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] } }));

// --- the server, killed and restarted ---
const serverEnv = {
  ...process.env,
  MAILROOM_DATABASE_URL: databaseUrl,
  MAILROOM_SECRET_KEY: secretKey,
  // A killed node's jobs, sends and deliveries are taken over by the others this soon.
  MAILROOM_WORKER_LEASE_MS: '5000',
  MAILROOM_DNS_ZONE_FILE: zone,
  MAILROOM_SMTP_PORT: '0',
  MAILROOM_HTTP_PORT: '0',
  MAILROOM_LOG_LEVEL: 'warn',
  MAILROOM_SMTP_MAX_MESSAGE_BYTES: String(512 * 1024),
  MAILROOM_SMTP_MAX_CONNECTIONS_PER_IP: '100',
  // All the load comes from 127.0.0.1: one client, far past a real sender's rate.
  MAILROOM_SMTP_MAX_MESSAGES_PER_CLIENT_PER_MINUTE: '10000000',
  MAILROOM_SMTP_MAX_RECIPIENTS_PER_CLIENT_PER_MINUTE: '10000000',
  MAILROOM_RELAY_POLL_INTERVAL_MS: '200',
  MAILROOM_RELAY_RETRY_BASE_MS: '500',
  MAILROOM_RELAY_RETRY_MAX_MS: '2000',
  MAILROOM_RELAY_MAX_AGE_MS: '30000',
  MAILROOM_WEBHOOKS_POLL_INTERVAL_MS: '200',
  // The webhook receiver is on loopback, which endpoints may use only when the operator allows it.
  MAILROOM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  // So is the stand-in SMTP provider the relay sends through.
  MAILROOM_RELAY_ALLOW_PRIVATE_NETWORKS: 'true',
  // 10 ms units: retries after 10 ms, 0.6 s, 3.6 s, 14 s, 36 s, 72 s; the drain outlasts six failures in a row.
  MAILROOM_WEBHOOKS_RETRY_BASE_MS: '10',
};
/** The nodes; null while one restarts. */
const servers: (ServerChild | null)[] = dataDirs.map(() => null);
const live = (): ServerChild[] => servers.filter((s): s is ServerChild => s !== null);
let incarnation = 0;
const samples: { incarnation: number; peakRssMb: number; fds: number }[] = [];

function sample(child: ServerChild): void {
  try {
    const status = readFileSync(`/proc/${child.child.pid}/status`, 'utf8');
    const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    const fds = readdirSync(`/proc/${child.child.pid}/fd`).length;
    const last = samples.find((s) => s.incarnation === incarnation);
    if (last) {
      last.peakRssMb = Math.max(last.peakRssMb, peak);
      last.fds = Math.max(last.fds, fds);
    } else samples.push({ incarnation, peakRssMb: peak, fds });
  } catch {
    // the process just died
  }
}

async function startServer(node: number): Promise<void> {
  incarnation++;
  servers[node] = await startChild(
    [new URL('../bin/mailroom.js', import.meta.url).pathname, 'serve'],
    { ...serverEnv, MAILROOM_DATA_DIR: dataDirs[node] },
    join(dir, `server-${incarnation}.log`),
    (e) => (e.msg === 'mailroom listening for SMTP' ? (e.port as number) : undefined),
  );
}

// The server logs at warn; the listening line is info. Read the port from an info-level start instead.
serverEnv.MAILROOM_LOG_LEVEL = 'info';
for (let node = 0; node < nodeCount; node++) await startServer(node);

// --- traffic ---
const fixtures = {
  handForward: ['gmail-forward.eml', 'outlook-forward-fr.eml', 'attached-forward.eml'].map((f) => readFileSync(join('fixtures/classify', f), 'latin1')),
  autoForward: [readFileSync('fixtures/classify/auto-forward.eml', 'latin1')],
  bounce: ['dsn-hard.eml', 'dsn-soft.eml', 'qmail-failure.eml'].map((f) => readFileSync(join('fixtures/classify', f), 'latin1')),
  autoReply: ['ooo-auto-submitted.eml', 'ooo-subject-de.eml'].map((f) => readFileSync(join('fixtures/classify', f), 'latin1')),
};
const acked = new Map<string, string>(); // soak Message-ID -> queue id
const counts: Record<string, { sent: number; acked: number; refusedAsExpected: number; unexpected: number }> = {};
const count = (kind: string, what: 'sent' | 'acked' | 'refusedAsExpected' | 'unexpected'): void => {
  counts[kind] ??= { sent: 0, acked: 0, refusedAsExpected: 0, unexpected: 0 };
  counts[kind][what]++;
};
const replyTokens: string[] = [];

/** A fixture with our own Message-ID, so each copy is a message of its own. */
function stamped(raw: string, messageId: string): string {
  const body = raw.replace(/^Message-ID:.*\r?\n/im, '');
  return `Message-ID: <${messageId}>\r\n${body}`;
}

async function sendOne(port: number): Promise<void> {
  const kind = pick(['reply', 'reply', 'reply', 'token', 'handForward', 'autoForward', 'bounce', 'autoReply', 'oversize', 'malformed', 'hostile']);
  const messageId = `soak-${randomBytes(8).toString('hex')}@candidate.example`;
  count(kind, 'sent');
  if (kind === 'malformed' || kind === 'hostile') return rawClient(port, kind);
  const n = Math.floor(Math.random() * 100);
  let raw: string;
  let to = 'careers@replies.acme.com';
  if (kind === 'reply' || kind === 'token' || kind === 'oversize') {
    if (kind === 'token' && replyTokens.length) to = pick(replyTokens);
    const padding = kind === 'oversize' ? 'x'.repeat(600 * 1024) : 'Tuesday works for me.';
    raw = `From: Candidate ${n} <person${n}@candidate.example>\r\nTo: ${to}\r\nSubject: Re: Your application\r\nMessage-ID: <${messageId}>\r\nDate: ${new Date().toUTCString()}\r\n\r\n${padding}\r\n`;
  } else {
    raw = stamped(pick(fixtures[kind as keyof typeof fixtures]), messageId);
    if (kind === 'handForward' || kind === 'autoForward') to = 'acme-jobs@in.mailroom.test';
  }
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5000, socketTimeout: 15000 });
  try {
    const info = await transport.sendMail({ envelope: { from: 'sender@candidate.example', to: [to] }, raw });
    const queued = /queued as (\S+)/.exec(String(info.response))?.[1];
    if (process.env.SOAK_DEBUG && !queued) log(`${kind}: no queue id in ${String(info.response)}`);
    if (kind === 'oversize') count(kind, 'unexpected');
    else if (queued) {
      acked.set(`<${messageId}>`, queued);
      count(kind, 'acked');
    }
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    if (kind === 'oversize' && code === 552) count(kind, 'refusedAsExpected');
    else if (process.env.SOAK_DEBUG) log(`${kind}: ${(err as Error).message}`);
    // Anything else (the server was killed mid-transaction) is not acknowledged, so not promised.
  } finally {
    transport.close();
  }
}

/** Smuggling-shaped data (bare LF) must get 550; a client that resets mid-DATA must leave nothing. */
function rawClient(port: number, kind: 'malformed' | 'hostile'): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = '';
    const script =
      kind === 'malformed'
        ? [
            'EHLO soak.example',
            'MAIL FROM:<x@candidate.example>',
            'RCPT TO:<careers@replies.acme.com>',
            'DATA',
            'Subject: smuggle\r\n\r\nline\n.\nMAIL FROM:<evil@x>\r\n.',
          ]
        : ['EHLO soak.example', 'MAIL FROM:<x@candidate.example>', 'RCPT TO:<careers@replies.acme.com>', 'DATA', null];
    let step = -1;
    const timer = setTimeout(() => socket.destroy(), 10_000);
    const next = (): void => {
      step++;
      const line = script[step];
      if (line === undefined) return void socket.end('QUIT\r\n');
      if (line === null) {
        // half a message, then the connection is gone
        socket.write('Subject: cut\r\n\r\npartial');
        return void socket.destroy();
      }
      socket.write(`${line}\r\n`);
    };
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      const lines = buffer.split('\r\n');
      buffer = lines.pop() ?? '';
      for (const l of lines) {
        if (!/^\d{3} /.test(l)) continue;
        if (kind === 'malformed' && step === script.length - 1) count(kind, l.startsWith('550') ? 'refusedAsExpected' : 'unexpected');
        next();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      if (kind === 'hostile') count(kind, 'refusedAsExpected');
      resolve();
    });
  });
}

const outbound: string[] = [];
async function sendOutreach(): Promise<void> {
  const n = Math.floor(Math.random() * 100);
  const message = await composeOutbound(
    { repositories, keyring, now: new Date() },
    {
      tenant: 'acme',
      to: `person${n}@candidate.example`,
      subject: `Interview ${n}`,
      text: 'Would Tuesday suit you?',
      candidate: await candidates.get('acme', `c-${n}`),
    },
  );
  outbound.push(message.id);
  if (message.replyTo) replyTokens.push(message.replyTo);
}

const end = Date.now() + minutes * 60_000;
let kills = 0;
const killer = (async () => {
  while (Date.now() < end - 15_000) {
    await sleep(10_000 + Math.random() * 25_000);
    const node = Math.floor(Math.random() * nodeCount);
    const dying = servers[node];
    if (Date.now() >= end - 15_000 || !dying) break;
    sample(dying);
    servers[node] = null;
    dying.child.kill('SIGKILL');
    await new Promise((resolve) => dying.child.once('exit', resolve));
    kills++;
    log(`killed node ${node} (${kills}); starting it again`);
    await startServer(node);
  }
})();
const sampler = setInterval(() => live().forEach(sample), 1000);
const clients = Array.from({ length: 6 }, async () => {
  while (Date.now() < end) {
    const target = live();
    if (target.length > 0) await sendOne(pick(target).port).catch((err: unknown) => process.env.SOAK_DEBUG && log(String(err)));
    else await sleep(50); // restarting
  }
});
const outreach = (async () => {
  while (Date.now() < end) {
    try {
      await sendOutreach();
    } catch (err) {
      log(`outreach: ${(err as Error).message}`);
    }
    await sleep(500);
  }
})();
const progress = setInterval(
  () =>
    log(
      `${Math.round((end - Date.now()) / 1000)} s left: ${acked.size} acknowledged, ${outbound.length} outbound, ${receiver.events.size} events received, ${kills} kills`,
    ),
  15_000,
);
await Promise.all([...clients, outreach, killer]);
clearInterval(progress);

// --- drain: no more failures injected, let everything settle ---
log('traffic over; letting the server drain');
receiver.failRate = 0;
const drainDeadline = Date.now() + 150_000;
const countOf = async (query: string): Promise<number> => (await ctx.sql.prepare(query).pluck<number>().get()) ?? 0;
const pending = async (): Promise<{ jobs: number; outbound: number; deliveries: number }> => ({
  jobs: await countOf(`SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')`),
  outbound: await countOf(`SELECT COUNT(*) FROM outbound_messages WHERE status IN ('queued', 'sending', 'deferred')`),
  deliveries: await countOf(`SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'`),
});
while (Date.now() < drainDeadline) {
  const p = await pending();
  if (p.jobs + p.outbound + p.deliveries === 0) break;
  await sleep(500);
}
clearInterval(sampler);
live().forEach(sample);
const left = await pending();

// --- invariants ---
const problems: string[] = [];
const stored = new Map((await ctx.sql.prepare<[], { id: string; status: string }>('SELECT id, status FROM messages').all()).map((r) => [r.id, r]));
let missing = 0;
for (const [, queueId] of acked) if (!stored.has(queueId)) missing++;
const duplicates = await countOf(
  `SELECT COUNT(*) FROM (SELECT message_id FROM messages WHERE message_id LIKE '<soak-%' GROUP BY message_id HAVING COUNT(*) > 1) AS twice`,
);
const unprocessed = [...acked.values()].filter((id) => ['received', 'failed'].includes(stored.get(id)?.status ?? 'received')).length;
if (missing) problems.push(`${missing} acknowledged messages are not stored`);
if (duplicates) problems.push(`${duplicates} messages are stored more than once`);
if (unprocessed) problems.push(`${unprocessed} acknowledged messages were not processed`);
const outboundStates = await ctx.sql
  .prepare<[], { status: string; n: number; noReason: number }>(
    'SELECT status, COUNT(*) AS n, SUM(CASE WHEN last_reply IS NULL THEN 1 ELSE 0 END) AS "noReason" FROM outbound_messages GROUP BY status',
  )
  .all();
const stuck = outboundStates.filter((s) => !['sent', 'failed'].includes(s.status)).reduce((a, s) => a + s.n, 0);
const failedWithoutReason = outboundStates.find((s) => s.status === 'failed')?.noReason ?? 0;
if (stuck) problems.push(`${stuck} outbound messages neither sent nor failed`);
if (failedWithoutReason) problems.push(`${failedWithoutReason} failed outbound messages without the provider's reason`);
const eventIds = await ctx.sql.prepare('SELECT id FROM events').pluck<string>().all();
const undelivered = eventIds.filter((id) => !receiver.events.has(id)).length;
if (undelivered) problems.push(`${undelivered} of ${eventIds.length} events never reached the webhook`);
const worst = samples.reduce((a, s) => ({ rss: Math.max(a.rss, s.peakRssMb), fds: Math.max(a.fds, s.fds) }), { rss: 0, fds: 0 });
if (worst.rss > RSS_LIMIT_MB) problems.push(`peak RSS ${worst.rss.toFixed(0)} MB over ${RSS_LIMIT_MB} MB`);
if (worst.fds > FD_LIMIT) problems.push(`${worst.fds} open file descriptors, over ${FD_LIMIT}`);
for (const [kind, c] of Object.entries(counts)) if (c.unexpected) problems.push(`${kind}: ${c.unexpected} unexpected answers`);

const lines = [
  `# Soak report (${new Date().toISOString()}, ${minutes} min, node ${process.version})`,
  '',
  `- storage: ${cluster ? `PostgreSQL, ${nodeCount} node${nodeCount > 1 ? 's' : ''} sharing it` : 'SQLite, one node'}`,
  `- server incarnations: ${incarnation} (${kills} SIGKILLs at random intervals)`,
  `- acknowledged (250): ${acked.size}; stored: ${acked.size - missing}; stored twice: ${duplicates}; processed: ${acked.size - unprocessed}`,
  `- outbound: ${outboundStates.map((s) => `${s.status} ${s.n}`).join(', ')} (provider answered 451 to 15% of recipients)`,
  `- events: ${eventIds.length} written, ${eventIds.length - undelivered} delivered at least once (${receiver.requests} webhook requests; the receiver failed 10% of them during the run)`,
  `- left after the drain: ${left.jobs} pipeline jobs, ${left.outbound} outbound, ${left.deliveries} webhook deliveries`,
  `- peak RSS per incarnation: ${samples.map((s) => `${s.peakRssMb.toFixed(0)} MB`).join(', ')} (limit ${RSS_LIMIT_MB} MB); most open fds: ${worst.fds} (limit ${FD_LIMIT})`,
  '',
  '| traffic | sent | acknowledged | refused as expected | unexpected |',
  '|---|---:|---:|---:|---:|',
  ...Object.entries(counts).map(([kind, c]) => `| ${kind} | ${c.sent} | ${c.acked} | ${c.refusedAsExpected} | ${c.unexpected} |`),
  '',
  problems.length ? `**Invariants broken:**\n${problems.map((p) => `- ${p}`).join('\n')}` : '**All invariants hold.**',
];
const report = lines.join('\n');
process.stdout.write(`${report}\n`);
if (values.report) writeFileSync(values.report, `${report}\n`);

for (const s of live()) await s.stop();
await provider.stop();
http.close();
await ctx.close();
await cluster?.stop();
if (problems.length === 0) rmSync(dir, { recursive: true, force: true });
else log(`data and logs kept in ${dir}`);
process.exit(problems.length ? 1 : 0);
