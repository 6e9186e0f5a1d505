// The unassigned queue's search on both backends: the ids are picked from the
// index of waiting messages (sender, subject, tenant), newest first, then the
// page's rows are read; the same answers as a plain filter, within the reach,
// the page and the cursor given.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { newMessageId, type DecisionSummary } from '../../src/store/index.ts';
import { seedTenants } from '../helpers/server.ts';
import { BACKENDS, contextOn } from '../helpers/backends.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  let acme: number;
  let globex: number;
  /** [id, tenant, subject, status], oldest first. */
  const written: [string, string, string, string][] = [];

  beforeAll(async () => {
    ctx = await contextOn(backend);
    await seedTenants(ctx);
    acme = (await ctx.tenants.get('acme'))!.id;
    globex = (await ctx.tenants.get('globex'))!.id;
    const rows: [number, string, string, 'unassigned' | 'assigned'][] = [
      [acme, 'Needle one', 'jane@candidate.example', 'unassigned'],
      [acme, 'Hay', 'needle.sender@candidate.example', 'unassigned'],
      [globex, 'Needle for globex', 'x@candidate.example', 'unassigned'],
      [acme, 'Needle, but filed', 'bob@candidate.example', 'assigned'],
      [acme, 'Nothing', 'ann@candidate.example', 'unassigned'],
      [acme, 'NEEDLE in capitals', 'carl@candidate.example', 'unassigned'],
    ];
    for (const [i, [tenantId, subject, from, status]] of rows.entries()) {
      const id = newMessageId();
      const decision: DecisionSummary =
        status === 'unassigned'
          ? { status, method: null, reason: 'unknown_sender', candidate: null, suggestions: [], evidence: {} }
          : { status, method: 'sender', reason: null, candidate: null, suggestions: [], evidence: {} };
      await ctx.transaction(async (tx) => {
        await tx.messages.insertBatch(
          [
            {
              id,
              tenantId,
              receivedAt: new Date(Date.now() - (10 - i) * 60_000).toISOString(),
              envelope: { sessionId: 's', clientIp: '192.0.2.1', clientPort: 1, helo: 'h', mailFrom: from, rcptTo: ['careers@replies.acme.com'], tls: null },
              size: 10,
              raw: Buffer.from(`Subject: ${subject}\r\n\r\nHello\r\n`),
              spoolFile: null,
            },
          ],
          Date.now(),
        );
        await tx.messages.markProcessed(
          id,
          {
            messageId: null,
            from,
            subject,
            auth: null,
            classification: { kind: 'message', bounce: null, autoReply: null, verification: null, forward: null, replyText: 'Hello' },
            attachments: [],
            parsed: null,
            decision,
          },
          new Date().toISOString(),
        );
      });
      written.push([id, tenantId === acme ? 'acme' : 'globex', subject, status]);
    }
  });
  afterAll(() => ctx.close());

  const subjects = async (filter: Parameters<Context['messages']['list']>[0]): Promise<(string | null)[]> =>
    (await ctx.messages.list(filter)).map((m) => m.subject);

  it('finds waiting messages by sender or subject in any case, newest first, within the reach, a page at a time', async () => {
    const queue = { status: 'unassigned', search: 'needle', tenantIds: [acme] };
    expect(await subjects({ ...queue, limit: 10 })).toEqual(['NEEDLE in capitals', 'Hay', 'Needle one']);
    expect(await subjects({ ...queue, limit: 2 })).toEqual(['NEEDLE in capitals', 'Hay']);
    const before = written.find(([, , subject]) => subject === 'Hay')![0];
    expect(await subjects({ ...queue, before, limit: 2 })).toEqual(['Needle one']);
    expect(await subjects({ status: 'unassigned', search: 'needle', tenant: 'globex', limit: 10 })).toEqual(['Needle for globex']);
    expect(await subjects({ status: 'unassigned', search: 'needle', limit: 10 })).toHaveLength(4);
    expect(await subjects({ ...queue, search: 'nobody-at-all', limit: 10 })).toEqual([]);
    // Outside the queue the same search reads the rows as ever.
    expect(await subjects({ status: 'assigned', search: 'needle', limit: 10 })).toEqual(['Needle, but filed']);
  });

  it('keeps an index of the waiting messages with what the search reads', async () => {
    let definition: string;
    if (backend === 'sqlite') {
      definition = (ctx.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'messages_waiting_search'").get() as { sql: string } | undefined)?.sql ?? '';
    } else {
      const client = new pg.Client({ connectionString: ctx.config.database.url });
      await client.connect();
      try {
        definition = ((await client.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_waiting_search'")).rows[0]?.indexdef as string) ?? '';
      } finally {
        await client.end();
      }
    }
    expect(definition.replace(/[()]/g, '')).toMatch(/status, id, tenant_id, from_header, subject WHERE status = 'unassigned'/);
  });
});
