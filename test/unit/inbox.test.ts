// What the recruiter's inbox rests on, on both backends: the candidate search
// (every word, in name, address or external id; an exact id first; within
// one tenant), per-user read state, the count of waiting messages, and
// undoing a filing or dismissal by hand (in time only, forgetting a
// remembered address, announced).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.ts';
import { addConsoleUser, assignMessage, dismissMessage, EVERY_TENANT, searchCandidates, undoFiling, UNDO_SECONDS } from '../../src/operations/index.ts';
import { suggestionsFor } from '../../src/console/filing.ts';
import type { Context } from '../../src/context.ts';
import { newMessageId, type DecisionSummary } from '../../src/store/index.ts';
import { BACKENDS, contextOn } from '../helpers/backends.ts';
import { seedTenants } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  let nowMs = Date.parse('2026-12-06T10:00:00Z');
  beforeEach(async () => {
    nowMs = Date.parse('2026-12-06T10:00:00Z');
    ctx = await contextOn(backend, {}, { clock: { now: () => new Date(nowMs) } });
    await seedTenants(ctx);
    await ctx.candidates.upsert('acme', { externalId: 'c-mr', name: 'Marco Rossi', emails: ['marco.rossi@candidate.example'] });
    await ctx.candidates.upsert('acme', { externalId: 'c-mb', name: 'Marco Bianchi', emails: ['mb@home.example'] });
    await ctx.candidates.upsert('acme', { externalId: 'marco', name: 'Zed Marco', emails: ['zed@candidate.example'] });
    await ctx.candidates.upsert('acme', { externalId: 'c-50%', name: 'Per_Cent', emails: ['pc@candidate.example'] });
    await ctx.candidates.upsert('globex', { externalId: 'g-1', name: 'Marco Globex', emails: ['marco@globex.example'] });
  });
  afterEach(() => ctx.close());

  /** An unassigned message of acme from `from`, with Marco Rossi suggested (or the decision given). */
  async function waiting(from: string, given?: Partial<DecisionSummary>): Promise<string> {
    const id = newMessageId();
    const tenantId = (await ctx.tenants.get('acme'))?.id as number;
    const at = new Date(nowMs).toISOString();
    const envelope = { sessionId: 's', clientIp: '192.0.2.1', clientPort: 1, helo: 'h', mailFrom: from, rcptTo: ['careers@replies.acme.com'], tls: null };
    await ctx.messages.insertBatch([{ id, tenantId, receivedAt: at, envelope, size: 10, raw: Buffer.from('x'), spoolFile: null }], nowMs);
    const mr = (await ctx.candidates.get('acme', 'c-mr'))!;
    const decision: DecisionSummary = {
      status: 'unassigned',
      method: null,
      reason: 'unauthenticated_sender',
      candidate: null,
      suggestions: [{ id: mr.id, externalId: mr.externalId, name: mr.name }],
      evidence: { sender: from },
      ...given,
    };
    const classification = { kind: 'message', bounce: null, autoReply: null, verification: null, forward: null, replyText: 'hi' };
    await ctx.messages.markProcessed(id, { messageId: null, from, subject: 'Hello', auth: null, classification, attachments: [], parsed: null, decision }, at);
    return id;
  }

  const found = async (q: string): Promise<string[]> => (await searchCandidates(ctx, EVERY_TENANT, 'acme', q)).map((c) => c.externalId);

  it('finds candidates by every word of a name, part of an address or the external id, within one tenant', async () => {
    expect(await found('marco rossi')).toEqual(['c-mr']);
    expect(await found('ROSSI marco')).toEqual(['c-mr']);
    // An exact external id first, then names that start with the words, then the rest.
    expect(await found('marco')).toEqual(['marco', 'c-mb', 'c-mr']);
    expect(await found('mb@home')).toEqual(['c-mb']);
    expect(await found('candidate.example rossi')).toEqual(['c-mr']);
    // LIKE's wildcards are only characters here.
    expect(await found('50%')).toEqual(['c-50%']);
    expect(await found('o_s')).toEqual([]);
    expect(await found('   ')).toEqual([]);
    // Another tenant's candidates are not found, and another tenant is out of reach.
    expect(await found('globex')).toEqual([]);
    const acmeOnly = { tenantIds: [(await ctx.tenants.get('acme'))?.id as number] };
    await expect(searchCandidates(ctx, acmeOnly, 'globex', 'marco')).rejects.toThrow(/no tenant "globex"/);
    // A candidate changed is found by what it is now.
    await ctx.candidates.upsert('acme', { externalId: 'c-mr', name: 'Marco Rossi-Verdi', emails: ['mrv@new.example'] });
    expect(await found('verdi')).toEqual(['c-mr']);
    expect(await found('marco.rossi@candidate')).toEqual([]);
  });

  it('keeps read state per console user and counts what waits within reach', async () => {
    const a = await waiting('x@home.example');
    const b = await waiting('y@home.example');
    const { user: anna } = await addConsoleUser(ctx, EVERY_TENANT, { tenant: 'acme', email: 'anna@acme.com', role: 'recruiter' });
    const { user: otto } = await addConsoleUser(ctx, EVERY_TENANT, { tenant: 'acme', email: 'otto@acme.com', role: 'recruiter' });
    await ctx.consoleUsers.markRead(anna.id, a, new Date(nowMs).toISOString());
    await ctx.consoleUsers.markRead(anna.id, a, new Date(nowMs).toISOString());
    expect([...(await ctx.consoleUsers.readAmong(anna.id, [a, b]))]).toEqual([a]);
    expect([...(await ctx.consoleUsers.readAmong(otto.id, [a, b]))]).toEqual([]);
    const acme = (await ctx.tenants.get('acme'))?.id as number;
    const globex = (await ctx.tenants.get('globex'))?.id as number;
    expect(await ctx.messages.countUnassigned(null)).toBe(2);
    expect(await ctx.messages.countUnassigned([acme])).toBe(2);
    expect(await ctx.messages.countUnassigned([globex])).toBe(0);
    // The outbound queue's page by tenant (walking ids, not the tenant index) reads on both backends.
    expect(await ctx.outbound.list({ tenantIds: [acme], limit: 5 })).toEqual([]);
    await dismissMessage(ctx, EVERY_TENANT, a, null);
    expect(await ctx.messages.countUnassigned([acme])).toBe(1);
  });

  it('undoes a filing by hand in time: the message waits as before, a remembered address is forgotten, and it is announced', async () => {
    const id = await waiting('marco.private@home.example');
    const before = await ctx.messages.get(id);
    await assignMessage(ctx, EVERY_TENANT, id, { candidate: 'c-mr', rememberAddress: true });
    expect((await ctx.candidates.get('acme', 'c-mr'))?.emails).toContain('marco.private@home.example');
    nowMs += 10_000;
    const after = await undoFiling(ctx, EVERY_TENANT, id);
    expect(after).toMatchObject({ status: 'unassigned', decision: before?.decision, conversationId: before?.conversationId });
    expect((await ctx.candidates.get('acme', 'c-mr'))?.emails).toEqual(['marco.rossi@candidate.example']);
    const acmeId = (await ctx.tenants.get('acme'))?.id as number;
    expect((await ctx.events.list({ tenantIds: [acmeId], limit: 10 })).map((e) => e.type)).toContain('message.unassigned');
    // Nothing to undo now; and a filing too long ago stays.
    await expect(undoFiling(ctx, EVERY_TENANT, id)).rejects.toThrow(ConflictError);
    await dismissMessage(ctx, EVERY_TENANT, id, 'spam');
    nowMs += (UNDO_SECONDS + 1) * 1000;
    await expect(undoFiling(ctx, EVERY_TENANT, id)).rejects.toThrow(/too late to undo/);
    expect((await ctx.messages.get(id))?.status).toBe('dismissed');
  });

  it("suggests whom a forward, a header or the sender's own name names, each with why", async () => {
    const id = await waiting('forwarder@elsewhere.example', {
      reason: 'unknown_sender',
      suggestions: [],
      evidence: {
        sender: 'forwarder@elsewhere.example',
        forward: { forwardedBy: 'forwarder@elsewhere.example', originalFrom: 'marco.rossi@candidate.example', trusted: false },
        hints: { 'X-Original-From': 'Marco B <MB@home.example>' },
      },
    });
    const m = (await ctx.messages.get(id))!;
    expect(await suggestionsFor(ctx, m, 'Zed Marco')).toEqual([
      { externalId: 'c-mr', name: 'Marco Rossi', reason: 'named in the forwarded header' },
      { externalId: 'c-mb', name: 'Marco Bianchi', reason: 'named in the X-Original-From header' },
      { externalId: 'marco', name: 'Zed Marco', reason: 'same name, another address' },
    ]);
    // A one-word name is too common to suggest anyone by.
    expect((await suggestionsFor(ctx, m, 'Marco')).map((s) => s.externalId)).toEqual(['c-mr', 'c-mb']);
    // The matcher's own suggestions come first, said as what they are.
    const shared = (await ctx.messages.get(await waiting('marco.rossi@candidate.example')))!;
    expect(await suggestionsFor(ctx, shared)).toEqual([{ externalId: 'c-mr', name: 'Marco Rossi', reason: 'same address, not proven' }]);
  });

  it('undoing a filing under an address the candidate already had keeps the address', async () => {
    const id = await waiting('marco.rossi@candidate.example');
    await assignMessage(ctx, EVERY_TENANT, id, { candidate: 'c-mr', rememberAddress: true });
    await undoFiling(ctx, EVERY_TENANT, id);
    expect((await ctx.candidates.get('acme', 'c-mr'))?.emails).toEqual(['marco.rossi@candidate.example']);
  });
});
