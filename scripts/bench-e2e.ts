// npm run bench:e2e [-- --messages N --burst N]
// What the platform feels: from the SMTP `250` to the signed webhook arriving at
// a receiver on loopback, for messages sent one at a time to a server that is
// otherwise idle, and for a burst sent all at once. Targets: idle p50 under
// 50 ms, burst p99 under 1 s. Prints figures, asserts nothing.
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadKeyring } from '../src/secrets/keyring.ts';
import { openDatabase, TenantStore, WebhookStore, SqliteSql } from '../src/store/index.ts';
import { newWebhookSecret } from '../src/webhooks/signing.ts';
import { startMailroomServe } from './lib/processes.ts';
import { percentile } from './lib/stats.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '30' }, burst: { type: 'string', default: '200' } } });
const messages = Number(values.messages);
const burst = Number(values.burst);

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** When each message's first webhook arrived, by message id. */
const arrivedAt = new Map<string, number>();
const waiters = new Map<string, () => void>();

function startReceiver(): Promise<number> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.statusCode = 204;
      res.end();
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { message?: { id?: string } } };
      const id = event.data?.message?.id;
      if (id && !arrivedAt.has(id)) {
        arrivedAt.set(id, at);
        waiters.get(id)?.();
      }
    });
  });
  server.unref();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** One message over a fresh connection; resolves with its id and when the 250 came. */
function sendOne(port: number, n: number): Promise<{ id: string; at: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const steps = [
      'EHLO bench.example',
      'MAIL FROM:<jane@candidate.example>',
      'RCPT TO:<careers@replies.bench.example>',
      'DATA',
      `From: jane@candidate.example\r\nSubject: e2e ${n}\r\nMessage-ID: <e2e-${n}-${Date.now()}@candidate.example>\r\n\r\nHello.\r\n.`,
      'QUIT',
    ];
    let buffer = '';
    let step = -1;
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('data', (data: string) => {
      buffer += data;
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (line[3] === '-') continue;
        if (step === 4) {
          const id = /queued as (\S+)/.exec(line)?.[1];
          if (!id) return reject(new Error(`not queued: ${line}`));
          resolve({ id, at: performance.now() });
        }
        step++;
        const next = steps[step];
        if (next === undefined) return socket.end();
        socket.write(`${next}\r\n`);
      }
    });
  });
}

function webhookFor(id: string, timeoutMs = 30_000): Promise<number | null> {
  const at = arrivedAt.get(id);
  if (at !== undefined) return Promise.resolve(at);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    waiters.set(id, () => {
      clearTimeout(timer);
      resolve(arrivedAt.get(id) ?? null);
    });
  });
}

function summary(label: string, latencies: number[], lost: number): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const f = (q: number): string => percentile(sorted, q).toFixed(0);
  return `| ${label} | ${sorted.length} | ${f(50)} | ${f(90)} | ${f(99)} | ${lost} |`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-e2e-'));
  const receiverPort = await startReceiver();
  const db = openDatabase(dataDir);
  const tenant = await new TenantStore(SqliteSql.of(db), () => new Date()).add({
    slug: 'bench',
    domains: ['bench.example'],
    replyDomains: ['replies.bench.example'],
    forwardAddresses: [],
  });
  const keyring = loadKeyring({ dataDir, key: '', previousKey: '' }, { create: true });
  if (!keyring) throw new Error('no keyring');
  await new WebhookStore(SqliteSql.of(db)).add(
    tenant.id,
    `http://127.0.0.1:${receiverPort}/hooks`,
    null,
    keyring.seal(newWebhookSecret()),
    new Date().toISOString(),
  );
  db.close();
  const { server } = await startMailroomServe(
    dataDir,
    { 'candidate.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] } },
    { MAILROOM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' },
  );
  try {
    log('warming up (the first message starts the pipeline and relay threads)');
    const first = await sendOne(server.port, 0);
    await webhookFor(first.id);
    log(`${messages} messages one at a time`);
    const idle: number[] = [];
    let idleLost = 0;
    for (let n = 1; n <= messages; n++) {
      const { id, at } = await sendOne(server.port, n);
      const got = await webhookFor(id);
      if (got === null) idleLost++;
      else idle.push(got - at);
      await new Promise((r) => setTimeout(r, 100));
    }
    log(`a burst of ${burst} at once`);
    const sent = await Promise.all(Array.from({ length: burst }, (_, i) => sendOne(server.port, 10_000 + i)));
    const arrived = await Promise.all(sent.map((s) => webhookFor(s.id)));
    const burstLatencies = arrived.flatMap((got, i) => (got === null ? [] : [got - (sent[i] as { at: number }).at]));
    const out = [
      '# From 250 to the signed webhook',
      '',
      'Latency in ms from the SMTP `250` to the webhook arriving at a receiver on loopback (`message.*` events).',
      '',
      '| load | messages | p50 | p90 | p99 | no webhook in 30 s |',
      '|---|---:|---:|---:|---:|---:|',
      summary('one at a time, idle server', idle, idleLost),
      summary(`burst of ${burst} at once`, burstLatencies, burst - burstLatencies.length),
      '',
      'Targets: idle p50 under 50 ms, burst p99 under 1000 ms.',
      '',
    ];
    process.stdout.write(out.join('\n'));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
