// The crash test: SIGKILL the server under concurrent load, start it again, and
// check that every message answered 250 is stored exactly once, byte for byte,
// and then processed by the restarted worker exactly once (one decision event
// each), with one pipeline thread and with several sharing the queue.
import nodemailer, { type Transporter } from 'nodemailer';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, RawReader, spoolUsage, TenantStore, SqliteSql } from '../../src/store/index.ts';
import { spawnServer } from '../helpers/process.ts';
import { tempDir, waitFor } from '../helpers/server.ts';

interface Acked {
  id: string;
  seq: number;
}

async function loadUntilKilled(port: number, kill: () => void): Promise<Acked[]> {
  const acked: Acked[] = [];
  let seq = 0;
  let killed = false;
  const clients = Array.from({ length: 8 }, () =>
    nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity }),
  );
  const worker = async (client: Transporter): Promise<void> => {
    while (!killed) {
      const mine = ++seq;
      try {
        const info = await client.sendMail({
          from: 'load@example.org',
          to: `load+${mine}@replies.acme.com`,
          subject: `crash load ${mine}`,
          headers: { 'X-Seq': String(mine) },
          // every tenth is large enough to be spooled to a file
          text: `message ${mine}\r\n${`${'z'.repeat(998)}\r\n`.repeat(mine % 10 === 0 ? 200 : 2)}`,
        });
        const id = /queued as (\S+)/.exec(String(info.response))?.[1];
        if (id) acked.push({ id, seq: mine });
      } catch {
        // in flight when the server died: not acknowledged, so not promised
      }
    }
  };
  const running = clients.map(worker);
  await waitFor(() => acked.length >= 150, 20_000, '150 acknowledged messages');
  kill();
  killed = true;
  await Promise.all(running);
  for (const client of clients) client.close();
  return acked;
}

describe.each([1, 3])('crash safety with %i pipeline thread(s)', (threads) => {
  const dataDir = tempDir('mailroom-crash-');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every acknowledged message exactly once across a SIGKILL, and processes it once', async () => {
    const seedDb = openDatabase(dataDir);
    await new TenantStore(SqliteSql.of(seedDb), () => new Date()).add({
      slug: 'acme',
      domains: ['acme.com'],
      replyDomains: ['replies.acme.com'],
      forwardAddresses: [],
    });
    seedDb.close();

    const env = { MAILROOM_DATA_DIR: dataDir, MAILROOM_LOG_LEVEL: 'info', MAILROOM_PIPELINE_THREADS: String(threads), MAILROOM_WORKER_START_DELAY_MAX_MS: '1' };
    const first = await spawnServer(env);
    const acked = await loadUntilKilled(first.port, () => first.child.kill('SIGKILL'));
    expect(await first.exited).toBeNull();
    expect(acked.length).toBeGreaterThanOrEqual(150);

    const second = await spawnServer(env);
    const db = openDatabase(dataDir);
    try {
      const raw = new RawReader(SqliteSql.of(db), dataDir);
      const rowsFor = db.prepare(`SELECT m.id FROM messages m JOIN message_raw r ON r.message_id = m.id WHERE m.id = ?`);
      for (const { id, seq } of acked) {
        expect(rowsFor.all(id), id).toHaveLength(1);
        expect((await raw.read(id))?.toString('latin1')).toContain(`X-Seq: ${seq}\r\n`);
      }
      expect(acked.some((a) => a.seq % 10 === 0)).toBe(true);
      // No message is stored twice under different ids.
      const ids = (db.prepare('SELECT id FROM messages').all() as { id: string }[]).map((r) => r.id);
      const seqs = await Promise.all(ids.map(async (id) => /X-Seq: (\d+)/.exec((await raw.read(id))?.toString('latin1') ?? '')?.[1]));
      expect(new Set(seqs).size).toBe(seqs.length);
      // Spool files of messages cut off by the kill were removed at the restart.
      expect(spoolUsage(dataDir).files).toBe((db.prepare('SELECT COUNT(*) AS n FROM message_raw WHERE path IS NOT NULL').get() as { n: number }).n);
      // The restarted worker finishes every job, including those cut off by the kill.
      const pending = db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE state <> 'done'`);
      await waitFor(() => (pending.get() as { n: number }).n === 0, 20_000, 'all jobs done after restart');
      const unprocessed = db.prepare(`SELECT COUNT(*) AS n FROM messages WHERE status IN ('received', 'failed')`).get() as { n: number };
      expect(unprocessed.n).toBe(0);
      // Processed once: one decision (and its event) per message, whichever thread took its job.
      const decided = db.prepare(`SELECT subject, COUNT(*) AS n FROM events WHERE type LIKE 'message.%' GROUP BY subject`).all() as {
        subject: string;
        n: number;
      }[];
      expect(decided.filter((d) => d.n !== 1)).toEqual([]);
      expect(decided.length).toBe(ids.length);
    } finally {
      db.close();
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 60_000);
});
