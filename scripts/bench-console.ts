// npm run bench:console [-- --messages N]
// How fast the console's pages answer on a large database: N messages
// (default 100,000, a fifth of them unassigned with the usual reasons) and
// 20,000 candidates (--candidates) in a real SQLite file, a real server, a signed-in session.
// Each page is asked for 50 times; the median and p95 are printed next to
// /healthz (the floor of any request here) and the API's GET /v1/messages on
// the same data, in the same run. Target: every page within 50 ms, the
// candidate search included. Asserts
// nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { addAccount, addConsoleUser, completeSetup, createApiToken, EVERY_TENANT, sendMessage, signIn } from '../src/operations/index.ts';
import { createContext } from '../src/context.ts';
import { startServer } from '../src/server/server.ts';
import { createRepositories, newMessageId, type DecisionSummary, type NewMessage } from '../src/store/index.ts';
import { percentile } from './lib/stats.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' }, candidates: { type: 'string', default: '20000' } } });
const total = Number(values.messages);
const candidateCount = Number(values.candidates);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'mailroom-bench-console-'));
writeFileSync(join(dir, 'zone.json'), '{}');
const config = configSchema.parse({
  data: { dir },
  dns: { zoneFile: join(dir, 'zone.json') },
  smtp: { host: '127.0.0.1', port: 0 },
  http: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 1_000_000 },
  log: { level: 'silent' },
});
const ctx = await createContext(config, { log: createLogger('silent') });
await ctx.tenants.add({ slug: 'acme', name: 'Acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] });
const tenantId = (await ctx.tenants.get('acme'))?.id as number;
const candidates = Array.from({ length: candidateCount }, (_, i) => ({
  externalId: `c-${i}`,
  name: `Candidate ${i}`,
  emails: [`person${i}@candidate.example`],
}));
for (let i = 0; i < candidates.length; i += 5000) await ctx.candidates.upsertBatch('acme', candidates.slice(i, i + 5000));
const REASONS = ['unknown_sender', 'ambiguous_sender', 'unauthenticated_sender', 'dmarc_fail', 'bounce_unmatched'];

log(`writing ${total} messages`);
const started = performance.now();
let someUnassigned = '';
const seeding = createRepositories(ctx.db, { dataDir: ctx.config.data.dir, now: () => new Date() });
for (let offset = 0; offset < total; offset += 1000) {
  // Seeded straight through SQLite's synchronous repositories: 100,000 rows, one transaction per thousand.
  await seeding.transaction(async (tx) => {
    const batch: NewMessage[] = [];
    for (let i = offset; i < Math.min(total, offset + 1000); i++) {
      batch.push({
        id: newMessageId(),
        tenantId,
        receivedAt: new Date(Date.now() - (total - i) * 60_000).toISOString(),
        envelope: {
          sessionId: 's',
          clientIp: '192.0.2.1',
          clientPort: 1,
          helo: 'h',
          mailFrom: `person${i % 5000}@candidate.example`,
          rcptTo: ['careers@replies.acme.com'],
          tls: null,
        },
        size: 2048,
        raw: Buffer.from(`Subject: Application ${i}\r\n\r\nHello\r\n`),
        spoolFile: null,
      });
    }
    await tx.messages.insertBatch(batch, Date.now());
    for (const [k, m] of batch.entries()) {
      const i = offset + k;
      const unassigned = i % 5 === 0;
      const decision: DecisionSummary = unassigned
        ? {
            status: 'unassigned',
            method: null,
            reason: REASONS[i % REASONS.length] as string,
            candidate: null,
            // The queue's rows carry a button per suggestion: some have one, as in life.
            suggestions: i % 2 === 0 ? [{ id: 1 + (i % 2000), externalId: `c-${i % 2000}`, name: `Candidate ${i % 2000}` }] : [],
            evidence: {},
          }
        : {
            status: 'assigned',
            method: 'sender',
            reason: null,
            candidate: { id: 1 + (i % 2000), externalId: `c-${i % 2000}`, name: `Candidate ${i % 2000}` },
            suggestions: [],
            evidence: {},
          };
      if (unassigned) someUnassigned = m.id;
      await tx.messages.markProcessed(
        m.id,
        {
          messageId: `<m${i}@candidate.example>`,
          from: `person${i % 5000}@candidate.example`,
          subject: `Application ${i}`,
          auth: null,
          classification: { kind: 'message', bounce: null, autoReply: null, verification: null, forward: null, replyText: 'Hello, here is my application.' },
          attachments: [],
          parsed: null,
          decision,
        },
        new Date().toISOString(),
      );
    }
  });
}
log(`written in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// The outbound queue: a tenth as many messages sent as received, through one account (never actually sent: no relay runs).
const { account } = await addAccount(ctx, EVERY_TENANT, {
  tenant: 'acme',
  name: 'bench',
  provider: 'custom',
  host: '127.0.0.1',
  port: 2525,
  security: 'starttls',
  username: 'careers@acme.com',
  credentials: { password: 'not-used' },
  from: 'careers@acme.com',
  replyTo: 'careers',
});
const outboundTotal = Math.min(10_000, Math.ceil(total / 10));
for (let i = 0; i < outboundTotal; i++)
  await sendMessage(ctx, EVERY_TENANT, { tenant: 'acme', accountId: account.id, to: `person${i}@candidate.example`, subject: `Interview ${i}`, text: 'Hello' });
log(`queued ${outboundTotal} outbound messages`);

const server = await startServer(ctx, { worker: false, relay: false });
const base = `http://127.0.0.1:${server.http?.port}`;
const { setupToken } = await addConsoleUser(ctx, EVERY_TENANT, { tenant: 'acme', email: 'anna@acme.com', role: 'admin' });
await completeSetup(ctx, setupToken, 'correct horse battery staple');
const session = await signIn(ctx, 'anna@acme.com', 'correct horse battery staple');
const { token } = await createApiToken(ctx, EVERY_TENANT, { tenant: 'acme', name: 'bench' });
const cookie = `mailroom_session=${session?.sessionId}`;

async function timed(path: string, headers: Record<string, string>): Promise<{ p50: number; p95: number; status: number }> {
  const times: number[] = [];
  let status = 0;
  for (let i = 0; i < 55; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { headers, redirect: 'manual' });
    await res.arrayBuffer();
    if (i >= 5) times.push(performance.now() - t0);
    status = res.status;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), status };
}

const rows: string[] = [];
const measure = async (label: string, path: string, headers: Record<string, string>): Promise<void> => {
  const r = await timed(path, headers);
  rows.push(`| ${label} | \`${path.replace(/\|/g, '%7C')}\` | ${r.status} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} |`);
};
try {
  await measure('floor: health check', '/healthz', {});
  await measure('API: messages, first page', '/v1/messages?status=unassigned', { authorization: `Bearer ${token}` });
  await measure('console: unassigned queue', '/console/unassigned', { cookie });
  await measure('console: queue by reason', '/console/unassigned?reason=dmarc_fail', { cookie });
  await measure('console: queue search', '/console/unassigned?q=Application%2099', { cookie });
  await measure('console: queue search, no match (reads the index of every waiting one)', '/console/unassigned?q=nobody-at-all', { cookie });
  await measure('console: a message', `/console/messages/${someUnassigned}`, { cookie });
  await measure('console: a candidate', '/console/candidates/acme/c-42', { cookie });
  await measure('console: candidate search, a name', '/console/candidates/search?tenant=acme&q=Candidate%201234', { cookie });
  await measure('console: candidate search, part of an address', '/console/candidates/search?tenant=acme&q=person777', { cookie });
  await measure('console: candidate search, no match (reads every one)', '/console/candidates/search?tenant=acme&q=nobody%20at%20all', { cookie });
  await measure('console: accounts', '/console/accounts', { cookie });
  await measure('console: outbound queue', '/console/outbound', { cookie });
  await measure('console: outbound queue, sent only', '/console/outbound?status=sent', { cookie });
  await measure('console: webhooks', '/console/webhooks', { cookie });
  process.stdout.write(
    [
      `# Console page times (${total} messages, ${total / 5} unassigned, ${candidateCount} candidates; 50 requests each after 5 to warm up; target: within 50 ms)`,
      '',
      '| page | path | status | p50 ms | p95 ms |',
      '|---|---|---:|---:|---:|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
