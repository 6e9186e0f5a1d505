// The indexes of what processing fills in (candidate, conversation, Message-ID,
// decision) are partial: intake writes no entry for a message that has none yet.
// A planner uses a partial index only when the query proves its condition, so
// each statement the stores run by one of these columns is captured as the code
// runs it and planned on both backends: it must use its index, not read every
// message (PostgreSQL with sequential scans disabled picks an index whenever one
// is usable, whatever the table's size).
import { afterEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { ConversationStore } from '../../src/store/conversations.ts';
import { MatchLookups } from '../../src/store/match-lookups.ts';
import { MessageStore } from '../../src/store/messages.ts';
import type { Sql } from '../../src/store/sql/sql.ts';
import { seedTenants } from '../helpers/server.ts';
import { BACKENDS, contextOn } from '../helpers/backends.ts';
import { spyOn, type Ran } from '../helpers/sql-spy.ts';

async function planOf(ctx: Context, { text, params }: Ran): Promise<string> {
  if (ctx.sql.dialect === 'sqlite') {
    const rows = (await ctx.sql.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params)) as { detail: string }[];
    return rows.map((r) => r.detail).join(' | ');
  }
  return ctx.sql.transaction(async () => {
    await ctx.sql.prepare('SET LOCAL enable_seqscan = off').run();
    const rows = (await ctx.sql.prepare(`EXPLAIN ${text}`).all(...params)) as { 'QUERY PLAN': string }[];
    return rows.map((r) => r['QUERY PLAN']).join(' | ');
  });
}

/** The statements `work` ran that read the messages table. */
async function statementsOf(ctx: Context, work: (sql: Sql) => Promise<unknown>): Promise<Ran[]> {
  const { sql, ran } = spyOn(ctx.sql);
  await work(sql);
  return ran.filter((r) => /FROM messages\b/.test(r.text));
}

describe.each(BACKENDS)('partial indexes of what processing fills in (%s)', (backend) => {
  let ctx: Context;
  afterEach(() => ctx?.close());

  const cases: { name: string; index: string; work: (sql: Sql, tenantId: number) => Promise<unknown> }[] = [
    { name: "a candidate's messages", index: 'messages_candidate', work: (sql) => new MessageStore(sql).list({ candidateId: 7, limit: 20 }) },
    { name: "a conversation's messages", index: 'messages_conversation', work: (sql) => new MessageStore(sql).list({ conversationId: 7, limit: 20 }) },
    {
      name: 'the queue by reason',
      index: 'messages_reason',
      work: (sql) => new MessageStore(sql).list({ reason: 'no_candidate', limit: 20 }),
    },
    { name: "a conversation's thread, oldest first", index: 'messages_conversation', work: (sql) => new MessageStore(sql).inConversation(7, null, 20) },
    { name: "a conversation's thread references", index: 'messages_conversation', work: (sql) => new ConversationStore(sql).threadReferences(7) },
    { name: 'the waiting count of a tenant', index: 'messages_waiting_search', work: (sql, tenantId) => new MessageStore(sql).countUnassigned([tenantId]) },
  ];

  it.each(cases)('$name uses $index', async ({ index, work }) => {
    ctx = await contextOn(backend);
    await seedTenants(ctx);
    const tenantId = (await ctx.tenants.get('acme'))!.id;
    const statements = await statementsOf(ctx, (sql) => work(sql, tenantId));
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) expect(await planOf(ctx, statement)).toContain(index);
  });

  it('a reply is matched to its thread by Message-ID through messages_thread', async () => {
    ctx = await contextOn(backend);
    const spied = spyOn(ctx.sql);
    new MatchLookups(spied.sql);
    const byThread = spied.prepared.find((text) => /m\.message_id = \?/.test(text));
    expect(byThread).toBeDefined();
    expect(await planOf(ctx, { text: byThread!, params: [1, 'reply-1@candidate.example'] })).toContain('messages_thread');
  });
});
