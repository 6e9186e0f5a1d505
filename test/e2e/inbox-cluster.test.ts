// One inbox, several `mailroom serve` nodes over one PostgreSQL, a real Dovecot:
// every node watches the inbox, one reads it (the reader lease). Three nodes
// start together on a folder of a thousand messages; the reader is killed with
// SIGKILL mid-import and another takes the inbox over when its lease runs out;
// then mail that arrives with two nodes left is read once too. Every message is
// stored exactly once and announced (one message event) exactly once.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../helpers/backends.ts';
import { deliveredMessage, DOVECOT, dovecotUnavailable, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { runCliAsync, spawnServer, type ServerProcess } from '../helpers/process.ts';
import { tempDir, waitFor } from '../helpers/server.ts';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI && !existsSync(DOVECOT)) throw new Error(unavailable);

const FIRST = 1000;
const LATER = 40;
const USER = 'jobs@acme.com';
const nodes: ServerProcess[] = [];
let dovecot: Dovecot;
let db: pg.Client;
let env: Record<string, string> = {};

const count = async (sql: string, ...params: unknown[]): Promise<number> => Number((await db.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);

describe.skipIf(unavailable !== null)('one inbox read by several nodes', () => {
  beforeAll(async () => {
    dovecot = await startDovecot();
    dovecot.addUser(USER, 'mailbox-password');
    const url = await freshPostgresDatabase();
    env = {
      MAILROOM_DATABASE_URL: url,
      MAILROOM_SECRET_KEY: randomBytes(32).toString('base64'),
      // Small batches (many transactions, so the kill lands between two), a short lease, a quick look at the list.
      MAILROOM_INBOXES_BATCH_MESSAGES: '10',
      MAILROOM_INBOXES_REFRESH_MS: '200',
      MAILROOM_INBOXES_LEASE_MS: '2000',
      MAILROOM_WORKER_LEASE_MS: '3000',
      MAILROOM_LOG_LEVEL: 'info',
    };
    db = new pg.Client({ connectionString: url });
    await db.connect();
  }, 30_000);

  afterAll(async () => {
    for (const node of nodes) node.child.kill('SIGKILL');
    await db?.end();
    await dovecot?.stop();
  });

  it('stores and announces every message once with three nodes, the reader killed mid-import, then with two', async () => {
    const cli = { ...env, MAILROOM_DATA_DIR: tempDir('mailroom-cli-') };
    expect((await runCliAsync(['tenants', 'add', 'acme', '--domain', 'acme.com', '--reply-domain', 'replies.acme.com'], cli)).stderr).toBe('');
    dovecot.deliver(
      USER,
      'INBOX',
      Array.from({ length: FIRST }, (_, i) => deliveredMessage({ n: i })),
    );
    const added = await runCliAsync(
      [
        'inboxes',
        'add',
        '--tenant',
        'acme',
        '--address',
        USER,
        '--imap-host',
        '127.0.0.1',
        '--imap-port',
        String(dovecot.port),
        '--imap-security',
        'none',
      ].concat(['--allow-plain', '--password-env', 'INBOX_PASSWORD', '--trust-authserv-id', 'mx.provider.test', '--json']),
      { ...cli, INBOX_PASSWORD: 'mailbox-password' },
    );
    expect(added.code, added.stderr).toBe(0);
    const { id } = JSON.parse(added.stdout) as { id: number };

    // Three nodes at once: each watches the inbox, one reads it.
    nodes.push(...(await Promise.all([0, 1, 2].map((i) => spawnServer({ ...env, MAILROOM_DATA_DIR: tempDir(`mailroom-node${i}-`) })))));
    const imported = (): Promise<number> => count('SELECT COUNT(*) AS n FROM inbox_imports WHERE inbox_id = $1', id);
    await waitFor(async () => (await imported()) >= 150, 30_000, 'some messages imported');
    const { reader_node: reader } = (await db.query<{ reader_node: string }>('SELECT reader_node FROM inboxes WHERE id = $1', [id])).rows[0]!;
    const readerPid = Number(reader.split(':')[1]);
    const victim = nodes.find((n) => n.child.pid === readerPid);
    expect(victim, `the reader ${reader} is one of the nodes`).toBeDefined();
    victim!.child.kill('SIGKILL');
    expect(await victim!.exited).toBeNull();
    expect(await imported()).toBeLessThan(FIRST);

    // Another node takes the inbox over once the dead one's lease runs out, and reads on from where it was.
    await waitFor(async () => (await imported()) === FIRST, 90_000, 'the whole folder imported after the kill');
    const now = (await db.query<{ reader_node: string }>('SELECT reader_node FROM inboxes WHERE id = $1', [id])).rows[0]!.reader_node;
    expect(now).not.toBe(reader);
    // The operator sees which node reads it.
    const shown = await runCliAsync(['inboxes', 'show', String(id), '--json'], cli);
    expect(JSON.parse(shown.stdout)).toMatchObject({ reader: now, readerUntil: expect.stringMatching(/^\d{4}-/) });

    // With two nodes left, new mail is read once as well.
    dovecot.deliver(
      USER,
      'INBOX',
      Array.from({ length: LATER }, (_, i) => deliveredMessage({ n: `later-${i}` })),
    );
    const total = FIRST + LATER;
    await waitFor(async () => (await imported()) === total, 60_000, 'the later mail imported');

    const source = `imap:${id}`;
    expect(await count('SELECT COUNT(*) AS n FROM messages WHERE source = $1', source)).toBe(total);
    expect(await count('SELECT COUNT(DISTINCT message_id) AS n FROM inbox_imports WHERE inbox_id = $1', id)).toBe(total);
    // Byte for byte: each delivered message (its Message-ID) is there once.
    const raws = await db.query<{ raw: Buffer }>('SELECT r.raw FROM message_raw r JOIN messages m ON m.id = r.message_id WHERE m.source = $1', [source]);
    expect(new Set(raws.rows.map((r) => /Message-ID: (<[^>]+>)/.exec(r.raw.toString())?.[1])).size).toBe(total);

    // Announced once: every message processed by the survivors, with one message event each.
    await waitFor(
      async () => (await count(`SELECT COUNT(*) AS n FROM messages WHERE source = $1 AND status = 'received'`, source)) === 0,
      120_000,
      'every message processed',
    );
    const events = await db.query<{ subject: string; n: string }>(
      `SELECT e.subject, COUNT(*) AS n FROM events e JOIN messages m ON m.id = e.subject WHERE m.source = $1 AND e.type LIKE 'message.%' GROUP BY e.subject`,
      [source],
    );
    expect(events.rows.length).toBe(total);
    expect(events.rows.every((r) => Number(r.n) === 1)).toBe(true);
  }, 300_000);
});
