// Moving an installation from SQLite to PostgreSQL with `mailroom db copy`:
// every row (a spooled message's bytes included) arrives, each table verified
// by count and checksum; a second copy into the same database is refused; and
// the copied database serves: its messages, raw bytes and routes are there.
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { createContext } from '../../src/context.ts';
import { freshPostgresDatabase } from '../helpers/backends.ts';
import { runCliAsync } from '../helpers/process.ts';
import { startTestServer, tempDir, testConfig, waitFor } from '../helpers/server.ts';

describe('mailroom db copy', () => {
  it('copies a SQLite installation into PostgreSQL, verified table by table, and refuses a target that has data', async () => {
    const source = await startTestServer();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: source.port, secure: false, ignoreTLS: true });
    const large = `${'y'.repeat(998)}\r\n`.repeat(400); // spooled to a file on the way in
    const pdf = randomBytes(5000);
    for (const [n, text] of [
      [1, 'Hello'],
      [2, large],
    ] as const) {
      await transport.sendMail({
        from: 'jane@candidate.example',
        to: 'careers@replies.acme.com',
        subject: `copy ${n}`,
        text,
        attachments: n === 1 ? [{ filename: 'cv.pdf', content: pdf }] : [],
      });
    }
    transport.close();
    await waitFor(async () => (await source.ctx.messages.list({ limit: 10 })).every((m) => m.status !== 'received'), 20_000, 'both processed');
    const before = await source.ctx.messages.list({ limit: 10 });
    const rawBefore = new Map(await Promise.all(before.map(async (m) => [m.id, await source.ctx.raw.read(m.id)] as const)));
    await source.server.stop();

    const url = await freshPostgresDatabase();
    const env = { MAILROOM_DATA_DIR: tempDir() };
    const copied = await runCliAsync(['db', 'copy', '--from', source.dataDir, '--to', url, '--json'], env);
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    const tables = JSON.parse(copied.stdout) as { table: string; rows: number; checksum: string; targetChecksum: string; targetRows: number }[];
    for (const t of tables) expect(t, t.table).toMatchObject({ rows: t.targetRows, checksum: t.targetChecksum });
    expect(tables.find((t) => t.table === 'messages')?.rows).toBe(2);

    const again = await runCliAsync(['db', 'copy', '--from', source.dataDir, '--to', url], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has rows in tenants: copy into a new, empty database/);

    const ctx = await createContext(testConfig(tempDir(), { database: { url } }), { log: createLogger('silent') });
    try {
      const after = await ctx.messages.list({ limit: 10 });
      expect(after.map((m) => [m.id, m.status, m.subject])).toEqual(before.map((m) => [m.id, m.status, m.subject]));
      for (const m of after) expect((await ctx.raw.read(m.id))?.equals(rawBefore.get(m.id)!)).toBe(true);
      expect(ctx.routes.routeFor('careers@replies.acme.com')).toMatchObject({ route: { kind: 'reply_domain' } });
      // New rows continue after the copied ids.
      const tenant = await ctx.tenants.add({ slug: 'initech', domains: ['initech.com'], replyDomains: ['replies.initech.com'], forwardAddresses: [] });
      expect(tenant.id).toBeGreaterThan((await ctx.tenants.get('acme'))!.id);
    } finally {
      await ctx.close();
    }
    await source.cleanup();
  }, 60_000);
});
