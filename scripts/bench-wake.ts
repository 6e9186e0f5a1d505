// npm run bench:wake [-- --messages N]
// How soon work written through the API starts, on an otherwise idle server:
// a POST /v1/send until the provider answers 250, a manual assign or dismiss
// until its webhook arrives. Measured with the relay thread running always
// (relay.idleStopMs 0), and idle past relay.idleStopMs (300 ms here), where a
// server with a sending account keeps it on standby; on SQLite, and on PostgreSQL
// with two nodes taking turns at the API: whichever relay sends, a node other
// than the one asked is woken by the database's notification. The floor beside it,
// in the same run: nodemailer sending straight to the same provider. Targets:
// p50 under 50 ms. Prints figures; asserts nothing.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { createContext } from '../src/context.ts';
import { newWebhookSecret } from '../src/webhooks/signing.ts';
import { postgresUnavailable, startPostgres } from '../test/support/postgres.ts';
import { startMailroomServe, type MailroomServer } from './lib/processes.ts';
import { percentile } from './lib/stats.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '20' } } });
const count = Number(values.messages);
const KEY = randomBytes(32).toString('base64');
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** performance.now() when something tagged arrived (a send's subject, a webhook's message id and type). */
const arrived = new Map<string, number>();
const waiters = new Map<string, () => void>();
function arrive(key: string): void {
  if (arrived.has(key)) return;
  arrived.set(key, performance.now());
  waiters.get(key)?.();
}
function arrival(key: string, timeoutMs = 10_000): Promise<number | null> {
  const at = arrived.get(key);
  if (at !== undefined) return Promise.resolve(at);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    waiters.set(key, () => {
      clearTimeout(timer);
      resolve(arrived.get(key) ?? null);
    });
  });
}

/** The customer's provider: reads each message and answers 250, noting when (by Subject). */
function startProvider(): Promise<number> {
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    logger: false,
    onAuth: (_credentials, _session, callback) => callback(null, { user: 'bench' }),
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const subject = /^Subject: (.*)$/m.exec(Buffer.concat(chunks).toString('latin1'))?.[1]?.trim();
        if (subject) arrive(`send:${subject}`);
        callback(null, 'Ok');
      });
    },
  });
  return new Promise((resolve) => {
    const net = server.listen(0, '127.0.0.1', () => resolve((net.address() as { port: number }).port));
  });
}

/** The platform's webhook receiver: notes when each message's event of each type arrived. */
function startReceiver(): Promise<number> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.statusCode = 204;
      res.end();
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; data?: { message?: { id?: string } } };
      const id = event.data?.message?.id;
      if (id) arrive(`${event.type}:${id}`);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

interface Api {
  base: string;
  token: string;
}

async function call(api: Api, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${api.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A data dir (one per node) over one storage with a tenant, its default account on the provider, a webhook, a candidate and a token. */
async function prepare(url: string, dirs: string[], providerPort: number, receiverPort: number): Promise<string> {
  const config = configSchema.parse({ data: { dir: dirs[0] }, database: { url }, secret: { key: url ? KEY : '' }, log: { level: 'silent' } });
  const ctx = await createContext(config, { log: createLogger('silent') });
  try {
    const tenant = await ctx.tenants.add({ slug: 'acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] });
    await ctx.accounts.add(
      {
        tenantId: tenant.id,
        name: 'default',
        provider: 'custom',
        host: '127.0.0.1',
        port: providerPort,
        security: 'none',
        tlsCa: null,
        username: 'bench',
        authMethod: 'password',
        sealedSecret: ctx.keyring().seal(JSON.stringify({ password: 'bench-password' })),
        fromAddress: 'recruiter@acme.com',
        fromName: 'Acme Recruiting',
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
    const at = new Date().toISOString();
    await ctx.webhooks.add(tenant.id, `http://127.0.0.1:${receiverPort}/hooks`, null, ctx.keyring().seal(newWebhookSecret()), at);
    await ctx.candidates.upsert('acme', { externalId: 'c-1', name: 'Jane', emails: ['jane@candidate.example'] });
    return (await ctx.apiTokens.create(tenant.id, 'bench', at)).token;
  } finally {
    await ctx.close();
  }
}

/** Unassigned messages (an unknown sender), processed, over SMTP through the first node. */
async function unassigned(smtpPort: number, n: number, tag: string): Promise<string[]> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const info = await transport.sendMail({ from: 'stranger@else.example', to: 'careers@replies.acme.com', subject: `${tag} ${i}`, text: 'Hello.' });
    const id = /queued as (\S+)/.exec(info.response)?.[1];
    if (!id) throw new Error(`not queued: ${info.response}`);
    ids.push(id);
  }
  transport.close();
  for (const id of ids) if ((await arrival(`message.unassigned:${id}`, 60_000)) === null) throw new Error(`message ${id} was not processed`);
  return ids;
}

interface Row {
  label: string;
  latencies: number[];
  lost: number;
}

/** One action at a time, `pauseMs` apart, each timed until its arrival. */
async function timed(label: string, n: number, pauseMs: number, act: (i: number) => Promise<string>): Promise<Row> {
  const latencies: number[] = [];
  let lost = 0;
  for (let i = 0; i < n; i++) {
    await sleep(pauseMs);
    const started = performance.now();
    const key = await act(i);
    const at = await arrival(key);
    if (at === null) lost++;
    else latencies.push(at - started);
  }
  return { label, latencies, lost };
}

async function scenario(name: string, database: () => Promise<string>, nodes: number, providerPort: number, receiverPort: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const relayThread of ['running', 'idle'] as const) {
    const dirs = Array.from({ length: nodes }, () => mkdtempSync(join(tmpdir(), 'mailroom-bench-wake-')));
    const url = await database();
    const token = await prepare(url, dirs, providerPort, receiverPort);
    const env = {
      MAILROOM_DATABASE_URL: url,
      MAILROOM_SECRET_KEY: url ? KEY : '',
      MAILROOM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      // The stand-in provider listens on loopback.
      MAILROOM_RELAY_ALLOW_PRIVATE_NETWORKS: 'true',
      // Running: it never stops. Idle: it would stop after 300 ms without work (each send below comes after 600 ms), but the
      // tenant's sending account keeps it on standby.
      MAILROOM_RELAY_IDLE_STOP_MS: relayThread === 'running' ? '0' : '300',
      MAILROOM_WORKER_IDLE_STOP_MS: '0',
    };
    const servers: MailroomServer[] = [];
    try {
      for (const dir of dirs) servers.push(await startMailroomServe(dir, {}, env));
      const apis = servers.map((s) => ({ base: `http://127.0.0.1:${s.httpPort}`, token }));
      const api = (i: number): Api => apis[i % apis.length] as Api;
      const where = nodes > 1 ? `, through either of ${nodes} nodes` : '';
      const tag = `${name} ${relayThread}`;
      const pause = relayThread === 'running' ? 100 : 600;
      const state =
        relayThread === 'running' ? 'relay thread running (relay.idleStopMs 0)' : 'idle past relay.idleStopMs, relay thread on standby for the account';
      log(`${name}: relay thread ${relayThread}: ${count} sends`);
      rows.push(
        await timed(`${name}: POST /v1/send to the provider's 250, ${state}${where}`, count, pause, async (i) => {
          const subject = `${tag} send ${i}`;
          const queued = await call(api(i), 'POST', '/v1/send', { to: 'jane@candidate.example', subject, text: 'Tuesday?' });
          if (queued.status !== 202) throw new Error(`send refused: ${queued.status} ${JSON.stringify(queued.body)}`);
          return `send:${subject}`;
        }),
      );
      if (relayThread === 'idle') continue;
      log(`${name}: ${count} assignments and ${count} dismissals`);
      const ids = await unassigned((servers[0] as MailroomServer).server.port, 2 * count, tag);
      rows.push(
        await timed(`${name}: POST assign to the message.assigned webhook${where}`, count, pause, async (i) => {
          const id = ids[i] as string;
          const done = await call(api(i), 'POST', `/v1/messages/${id}/assign`, { candidate: 'c-1' });
          if (done.status !== 200) throw new Error(`assign refused: ${done.status}`);
          return `message.assigned:${id}`;
        }),
        await timed(`${name}: POST dismiss to the message.dismissed webhook${where}`, count, pause, async (i) => {
          const id = ids[count + i] as string;
          const done = await call(api(i), 'POST', `/v1/messages/${id}/dismiss`, { note: 'bench' });
          if (done.status !== 200) throw new Error(`dismiss refused: ${done.status}`);
          return `message.dismissed:${id}`;
        }),
      );
    } finally {
      for (const s of servers) await s.server.stop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

/** The floor: nodemailer sending straight to the provider, a new connection each time (as the relay's first send to an account). */
async function floor(providerPort: number): Promise<Row> {
  return timed('floor: nodemailer straight to the provider (new connection each)', count, 100, async (i) => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: providerPort, secure: false, ignoreTLS: true, auth: { user: 'bench', pass: 'x' } });
    const subject = `floor ${i}`;
    await transport.sendMail({ from: 'recruiter@acme.com', to: 'jane@candidate.example', subject, text: 'Tuesday?' });
    transport.close();
    return `send:${subject}`;
  });
}

function line(row: Row, target: boolean): string {
  const sorted = [...row.latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  // A lost action is a miss, whatever the others' times: none measured is not a p50 under 50 ms.
  const met = !target ? '' : row.lost > 0 || sorted.length === 0 ? `NO (${row.lost} lost)` : p50 < 50 ? 'yes' : 'NO';
  return `| ${row.label} | ${sorted.length} | ${p50.toFixed(1)} | ${percentile(sorted, 95).toFixed(1)} | ${row.lost} | ${met} |`;
}

async function main(): Promise<void> {
  const providerPort = await startProvider();
  const receiverPort = await startReceiver();
  const rows: [Row, boolean][] = [[await floor(providerPort), false]];
  for (const row of await scenario('SQLite', async () => '', 1, providerPort, receiverPort)) rows.push([row, true]);
  const unavailable = postgresUnavailable();
  const clusterDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-wake-pg-'));
  if (unavailable) log(`PostgreSQL skipped: ${unavailable}`);
  else {
    const cluster = await startPostgres(clusterDir, { fsync: true });
    try {
      const database = (): Promise<string> => cluster.createDatabase(`bench_wake_${Date.now()}`);
      for (const row of await scenario('PostgreSQL', database, 2, providerPort, receiverPort)) rows.push([row, true]);
    } finally {
      await cluster.stop();
    }
  }
  rmSync(clusterDir, { recursive: true, force: true });
  process.stdout.write(
    [
      '# Work starts at once',
      '',
      'Latency in ms on an otherwise idle server, one action at a time: from the API request to the provider answering 250 (sends), or to the webhook arriving (assign, dismiss).',
      '',
      '| what | n | p50 | p95 | lost | p50 < 50 ms |',
      '|---|---:|---:|---:|---:|---|',
      ...rows.map(([row, target]) => line(row, target)),
      '',
    ].join('\n'),
  );
  process.exit(0);
}

await main();
