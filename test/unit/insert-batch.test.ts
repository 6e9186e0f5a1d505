// Intake's batches go in as multi-row statements on both backends: every
// message with its raw bytes and its job, in order, whatever the batch size;
// and the statements prepared (kept for the life of the connection) stay few.
import { afterEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { MessageStore, type NewMessage } from '../../src/store/messages.ts';
import type { Sql } from '../../src/store/sql/sql.ts';
import { seedTenants } from '../helpers/server.ts';
import { BACKENDS, contextOn } from '../helpers/backends.ts';

function messages(tenantId: number, count: number, from: number): NewMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const raw = Buffer.from(`Subject: message ${n}\r\n\r\nbody ${n}\r\n`);
    return {
      id: `01JBATCH${String(n).padStart(18, '0')}`,
      tenantId,
      receivedAt: new Date(1_700_000_000_000 + n).toISOString(),
      envelope: { sessionId: `s${n}`, clientIp: '127.0.0.1', clientPort: n, helo: 'h', mailFrom: `a${n}@b.example`, rcptTo: ['x@replies.acme.com'], tls: null },
      size: raw.length,
      raw,
      spoolFile: null,
    };
  });
}

describe.each(BACKENDS)('intake batches on %s', (backend) => {
  let ctx: Context;
  afterEach(() => ctx?.close());

  it('stores every message of a batch of 83 (64 + 16 + 2 + 1 rows a statement) with its raw bytes and its job', async () => {
    ctx = await contextOn(backend);
    await seedTenants(ctx);
    const tenantId = (await ctx.tenants.get('acme'))!.id;
    const batch = messages(tenantId, 83, 0);
    await ctx.sql.transaction(() => ctx.messages.insertBatch(batch, 5));
    const stored = (await ctx.sql
      .prepare(
        `SELECT m.id, m.envelope, r.raw, j.state FROM messages m JOIN message_raw r ON r.message_id = m.id JOIN jobs j ON j.message_id = m.id ORDER BY m.id`,
      )
      .all()) as { id: string; envelope: string; raw: Buffer; state: string }[];
    expect(stored.map((r) => r.id)).toEqual(batch.map((m) => m.id));
    stored.forEach((row, i) => {
      expect(Buffer.from(row.raw).toString()).toBe(batch[i]!.raw!.toString());
      expect(JSON.parse(row.envelope)).toEqual(batch[i]!.envelope);
      expect(row.state).toBe('queued');
    });
  });

  it(
    backend === 'sqlite'
      ? 'prepares at most eight statement texts per table (seven row counts and the single message), whatever the batch sizes'
      : 'sends a batch in three statements, one per table (each is a round trip)',
    async () => {
      ctx = await contextOn(backend);
      await seedTenants(ctx);
      const tenantId = (await ctx.tenants.get('acme'))!.id;
      const texts: string[] = [];
      const spying = Object.assign(Object.create(ctx.sql) as Sql, {
        prepare: ((text: string) => (texts.push(text), ctx.sql.prepare(text))) as Sql['prepare'],
      });
      const store = new MessageStore(spying);
      let next = 0;
      for (let size = 2; size <= 130; size++) {
        const before = texts.length;
        await ctx.sql.transaction(() => store.insertBatch(messages(tenantId, size, next), 5));
        next += size;
        if (backend === 'postgres') expect(texts.length - before).toBe(3);
      }
      const inserts = new Set(texts.filter((text) => text.startsWith('INSERT INTO messages')));
      if (backend === 'sqlite') expect(inserts.size).toBeLessThanOrEqual(8);
      expect(Number(await ctx.sql.prepare('SELECT COUNT(*) FROM jobs').pluck().get())).toBe(next);
    },
  );
});
