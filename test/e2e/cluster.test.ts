// Several nodes on one PostgreSQL, as real processes: load spread over three
// `serve` nodes, one killed with SIGKILL mid-load and left dead. Every message
// any node acknowledged is stored once and processed by the survivors (the
// dead node's leases run out after worker.leaseMs and are taken over), and
// every node lists every node's messages.
import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../helpers/backends.ts';
import { runCliAsync, spawnServer, type ServerProcess } from '../helpers/process.ts';
import { tempDir, waitFor } from '../helpers/server.ts';

const nodes: ServerProcess[] = [];
afterAll(() => {
  for (const node of nodes) node.child.kill('SIGKILL');
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
    const shared = {
      MAILROOM_DATABASE_URL: url,
      MAILROOM_SECRET_KEY: randomBytes(32).toString('base64'),
      MAILROOM_WORKER_LEASE_MS: '3000',
      MAILROOM_LOG_LEVEL: 'info',
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
});
