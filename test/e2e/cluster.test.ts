// Several nodes on one PostgreSQL, as real processes: load spread over three
// `serve` nodes, one killed with SIGKILL mid-load and left dead. Every message
// any node acknowledged is stored once and processed by the survivors (the
// dead node's leases run out after worker.leaseMs and are taken over), and
// every node lists every node's messages. Then, on the two survivors: each
// outbound message is sent once and each event delivered once with both relays
// at work, and an attachment is served by either node, whichever parsed it.
import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { composeOutbound } from '../../src/relay/compose.ts';
import { createContext, type Context } from '../../src/context.ts';
import { newWebhookSecret } from '../../src/webhooks/signing.ts';
import { addTestAccount } from '../helpers/accounts.ts';
import { freshPostgresDatabase } from '../helpers/backends.ts';
import { runCliAsync, spawnServer, type ServerProcess } from '../helpers/process.ts';
import { startProvider } from '../helpers/provider.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { isProcessed, seedTenants, tempDir, testConfig, waitFor } from '../helpers/server.ts';
import { postgresSettings } from '../helpers/postgres.ts';
import { startServer } from '../../src/server/server.ts';

const nodes: ServerProcess[] = [];
let shared: Record<string, string> = {};
const closing: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const node of nodes) node.child.kill('SIGKILL');
  for (const close of closing) await close();
});

interface Acked {
  id: string;
  seq: number;
  node: number;
}

/** Clients on every node send until `enough` says stop; a node that dies just stops answering its clients. */
async function loadSpread(ports: readonly number[], enough: (acked: readonly Acked[]) => boolean): Promise<Acked[]> {
  const acked: Acked[] = [];
  let seq = 0;
  let done = false;
  const clients: { node: number; transport: Transporter }[] = ports.flatMap((port, node) =>
    [0, 1].map(() => ({
      node,
      transport: nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity }),
    })),
  );
  const run = async ({ node, transport }: { node: number; transport: Transporter }): Promise<void> => {
    let failures = 0;
    while (!done && failures < 3) {
      const mine = ++seq;
      try {
        const info = await transport.sendMail({
          from: 'load@example.org',
          to: `load+${mine}@replies.acme.com`,
          subject: `cluster load ${mine}`,
          headers: { 'X-Seq': String(mine) },
          // every tenth is large enough to be spooled to a file before it goes into the database
          text: `message ${mine}\r\n${`${'z'.repeat(998)}\r\n`.repeat(mine % 10 === 0 ? 200 : 2)}`,
        });
        const id = /queued as (\S+)/.exec(String(info.response))?.[1];
        if (id) acked.push({ id, seq: mine, node });
        if (enough(acked)) done = true;
      } catch {
        // in flight when its node died: not acknowledged, so not promised
        failures++;
      }
    }
  };
  await Promise.all(clients.map(run));
  for (const { transport } of clients) transport.close();
  return acked;
}

describe('three nodes on one PostgreSQL', () => {
  it('stores every acknowledged message once and processes it on the survivors when a node is killed mid-load', async () => {
    const url = await freshPostgresDatabase();
    shared = {
      MAILROOM_DATABASE_URL: url,
      MAILROOM_SECRET_KEY: randomBytes(32).toString('base64'),
      MAILROOM_WORKER_LEASE_MS: '3000',
      MAILROOM_LOG_LEVEL: 'info',
      // Both relays of the survivors at work at once, looking often; webhooks to a receiver and the stand-in provider on loopback.
      MAILROOM_RELAY_IDLE_STOP_MS: '0',
      MAILROOM_RELAY_POLL_INTERVAL_MS: '300',
      MAILROOM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      MAILROOM_RELAY_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    const added = await runCliAsync(['tenants', 'add', 'acme', '--domain', 'acme.com', '--reply-domain', 'replies.acme.com'], {
      ...shared,
      MAILROOM_DATA_DIR: tempDir('mailroom-cli-'),
    });
    expect(added.stderr).toBe('');
    for (let i = 0; i < 3; i++) nodes.push(await spawnServer({ ...shared, MAILROOM_DATA_DIR: tempDir(`mailroom-node${i}-`) }));

    let killed = false;
    const acked = await loadSpread(
      nodes.map((n) => n.port),
      (sofar) => {
        // Once every node has acknowledged some, the second dies where it stands.
        if (!killed && sofar.length >= 60 && [0, 1, 2].every((n) => sofar.some((a) => a.node === n))) {
          killed = true;
          nodes[1]!.child.kill('SIGKILL');
        }
        return sofar.length >= 200;
      },
    );
    expect(killed).toBe(true);
    expect(await nodes[1]!.exited).toBeNull();
    expect(acked.length).toBeGreaterThanOrEqual(200);
    expect(acked.filter((a) => a.node === 1).length).toBeGreaterThan(0);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      // Every acknowledged message is there once, byte for byte its own (its X-Seq), whichever node took it.
      const stored = await db.query<{ id: string; raw: Buffer }>(`SELECT m.id, r.raw FROM messages m JOIN message_raw r ON r.message_id = m.id`);
      const byId = new Map(stored.rows.map((r) => [r.id, r.raw]));
      for (const a of acked)
        expect(/X-Seq: (\d+)/.exec(byId.get(a.id)?.toString('latin1') ?? '')?.[1], `message ${a.id} from node ${a.node}`).toBe(String(a.seq));
      const seqs = stored.rows.map((r) => /X-Seq: (\d+)/.exec(r.raw.toString('latin1'))?.[1]);
      expect(new Set(seqs).size).toBe(seqs.length);
      // The survivors finish every job, the dead node's leased ones included, each once.
      await waitFor(async () => (await db.query(`SELECT 1 FROM jobs WHERE state <> 'done'`)).rowCount === 0, 60_000, 'every job done by the surviving nodes');
      const unprocessed = await db.query(`SELECT id FROM messages WHERE status IN ('received', 'failed')`);
      expect(unprocessed.rows).toEqual([]);
      const jobs = await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM jobs`);
      expect(jobs.rows[0]!.n).toBe(stored.rows.length);
    } finally {
      await db.end();
    }

    // Any node lists every node's messages.
    const listed = await runCliAsync(['messages', 'list', '--json', '--limit', '1000'], { ...shared, MAILROOM_DATA_DIR: tempDir('mailroom-cli-') });
    const ids = new Set((JSON.parse(listed.stdout) as { id: string }[]).map((m) => m.id));
    for (const a of acked) expect(ids.has(a.id)).toBe(true);
  }, 180_000);

  it('sends each outbound message once and delivers each event once with two relays at work, and serves attachments from any node', async () => {
    const survivors = [nodes[0]!, nodes[2]!];
    // The operator's side, in this process, on the same database and key.
    const ctx = await createContext(testConfig(tempDir(), { database: { url: shared.MAILROOM_DATABASE_URL }, secret: { key: shared.MAILROOM_SECRET_KEY } }), {
      log: createLogger('silent'),
    });
    closing.push(() => ctx.close());
    const provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' } });
    closing.push(() => provider.close());
    await addTestAccount(ctx, provider, { name: 'recruiting', isDefault: true });
    const receiver = await startReceiver();
    closing.push(() => receiver.close());
    const secret = newWebhookSecret();
    receiver.secrets.push(secret);
    const tenant = (await ctx.tenants.get('acme'))!;
    await ctx.webhooks.add(tenant.id, receiver.url, ['outbound.sent'], ctx.keyring().seal(secret), new Date().toISOString());

    const queued = [];
    for (let i = 0; i < 30; i++) {
      queued.push(
        await composeOutbound(
          { repositories: ctx, keyring: ctx.keyring(), now: new Date() },
          { tenant: 'acme', to: `c${i}@candidate.example`, subject: `Interview ${i}`, text: 'Hello' },
        ),
      );
    }
    await waitFor(async () => (await ctx.outbound.list({ status: 'sent', limit: 100 })).length === 30, 60_000, 'every outbound message sent');
    const sentIds = provider.received.map((m) => /^Message-ID: <([^>]+)>/im.exec(m.raw)?.[1]);
    expect(sentIds.sort()).toEqual(queued.map((m) => m.messageId).sort());
    // Each sent message announced once, whichever relay sent it.
    await waitFor(() => receiver.events.length >= 30, 30_000, 'an outbound.sent event per message');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const eventIds = receiver.events.map((e) => e.id);
    expect(new Set(eventIds).size).toBe(30);
    expect(eventIds).toHaveLength(30);

    // An attachment parsed by whichever node processed the message, downloaded from both.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(20_000)]);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: survivors[0]!.port, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({
      from: 'jane@candidate.example',
      to: 'careers@replies.acme.com',
      subject: 'My CV',
      text: 'Attached.',
      attachments: [{ filename: 'cv.pdf', content: pdf, contentType: 'application/pdf' }],
    });
    transport.close();
    const id = /queued as (\S+)/.exec(String(info.response))![1]!;
    await waitFor(async () => ((await ctx.messages.get(id))?.attachments.length ?? 0) > 0, 30_000, 'the message processed');
    const sha256 = (await ctx.messages.get(id))!.attachments[0]!.sha256;
    const token = (await ctx.apiTokens.create(tenant.id, 'cluster-test', new Date().toISOString())).token;
    for (const node of survivors) {
      const res = await fetch(`http://127.0.0.1:${node.httpPort}/v1/messages/${id}/attachments/${sha256}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(pdf)).toBe(true);
    }
  }, 120_000);

  it('wakes the other nodes when one commits work: a node without a pipeline of its own has its mail processed at once by another', async () => {
    const settings = await postgresSettings();
    const open = async (): Promise<Context> => {
      const ctx = await createContext(testConfig(tempDir(), settings), { log: createLogger('silent') });
      closing.push(() => ctx.close().catch(() => undefined));
      return ctx;
    };
    const intakeOnly = await open();
    await seedTenants(intakeOnly);
    const accepting = await startServer(intakeOnly, { worker: false, relay: false });
    // The other node's pipeline thread is stopped until work is committed; without the notification it would never hear of this.
    const processing = await startServer(await open(), { worker: true, relay: false });
    closing.push(
      () => accepting.stop(),
      () => processing.stop(),
    );
    expect(processing.pipelineRunning).toBe(false);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: accepting.smtp.port, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ from: 'jane@candidate.example', to: 'careers@replies.acme.com', subject: 'Across nodes', text: 'Hello' });
    transport.close();
    const id = /queued as (\S+)/.exec(String(info.response))![1]!;
    await waitFor(async () => isProcessed((await intakeOnly.messages.get(id))?.status), 10_000, 'the message processed by the other node');
  }, 60_000);
});
