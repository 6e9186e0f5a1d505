// The operations layer that the CLI, the API and the console share: what a
// caller limited to one tenant can reach, that a change and its event land in
// one transaction, and the errors each interface words its own way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../../src/errors.ts';
import {
  addressToRemember,
  addTenant,
  assignMessage,
  createApiToken,
  listApiTokens,
  revokeApiToken,
  dismissMessage,
  EVERY_TENANT,
  importCandidates,
  reprocessMessages,
  sendMessage,
  type Reach,
} from '../../src/operations/index.ts';
import { queuedId, RawSmtp } from '../helpers/raw-smtp.ts';
import { authenticatedSenders, isProcessed, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';

let t: TestServer;
let acme: Reach;
let globex: Reach;

beforeAll(async () => {
  t = await startTestServer({ overrides: { dns: { zoneFile: zoneFile(tempDir(), authenticatedSenders(['candidate.example', 'evil.example'])) } } });
  acme = { tenantIds: await t.ctx.tenants.subtreeIds((await t.ctx.tenants.get('acme'))!.id) };
  globex = { tenantIds: await t.ctx.tenants.subtreeIds((await t.ctx.tenants.get('globex'))!.id) };
  await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane', emails: ['jane@candidate.example'] });
});

afterAll(() => t.cleanup());

async function deliver(from: string, body = 'Hello.', subject = 'Hello'): Promise<string> {
  const c = await RawSmtp.connect(t.server.smtp.port);
  expect((await c.startData(['careers@replies.acme.com'], from.split(',')[0]))?.code).toBe(354);
  const id = queuedId(await c.command(`From: ${from}\r\nSubject: ${subject}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@x>\r\n\r\n${body}\r\n.`));
  c.close();
  await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
  return id;
}

async function unassigned(from: string, body?: string, subject?: string): Promise<string> {
  const id = await deliver(from, body, subject);
  expect((await t.ctx.messages.get(id))?.status).toBe('unassigned');
  return id;
}

const eventsOf = async (id: string): Promise<string[]> =>
  (await t.ctx.events.list({ tenantIds: acme.tenantIds as number[], limit: 1000 }))
    .filter((e) => e.data.message && (e.data.message as { id: string }).id === id)
    .map((e) => e.type);

describe('operations', () => {
  it("reach: another tenant's message is not found, not forbidden; its own is assigned with the event and the conversation together", async () => {
    const id = await unassigned('stranger@candidate.example');
    await expect(assignMessage(t.ctx, globex, id, { candidate: 'c-jane' })).rejects.toThrow(NotFoundError);
    await expect(dismissMessage(t.ctx, globex, id, null)).rejects.toThrow(NotFoundError);
    await expect(assignMessage(t.ctx, acme, id, { candidate: 'c-nobody' })).rejects.toMatchObject({ kind: 'not_found', field: 'candidate' });
    expect((await t.ctx.messages.get(id))?.status).toBe('unassigned');

    const { message, remembered } = await assignMessage(t.ctx, acme, id, { candidate: 'c-jane', rememberAddress: true });
    expect(message).toMatchObject({ status: 'assigned', decision: { method: 'manual', candidate: { externalId: 'c-jane' } } });
    expect(message.conversationId).toEqual(expect.any(Number));
    expect(remembered).toBe('stranger@candidate.example');
    expect((await t.ctx.candidates.get('acme', 'c-jane'))?.emails).toContain('stranger@candidate.example');
    expect(await eventsOf(id)).toEqual(['message.unassigned', 'message.assigned']);
    await expect(dismissMessage(t.ctx, acme, id, null)).rejects.toThrow(ConflictError);
  });

  it("remember: the From that was judged, never the sender a stranger's forwarded block names", async () => {
    await t.ctx.candidates.upsert('acme', { externalId: 'c-jane-doe', name: 'Jane Doe', emails: ['jane@home.example'] });
    const forwarded = [
      'Have a look at my CV.',
      '',
      '---------- Forwarded message ---------',
      'From: Jane Doe <attacker@evil.example>',
      'Subject: CV',
      '',
      'Attached.',
    ];
    const id = await unassigned('jane.doe@candidate.example', forwarded.join('\r\n'), 'Fwd: CV');
    const message = (await t.ctx.messages.get(id))!;
    expect(message.classification?.forward?.originalFrom?.address).toBe('attacker@evil.example');
    expect(addressToRemember(message)).toMatchObject({ address: 'jane.doe@candidate.example', why: expect.stringMatching(/not attacker@evil\.example/) });

    const { remembered } = await assignMessage(t.ctx, acme, id, { candidate: 'c-jane-doe', rememberAddress: true });
    expect(remembered).toBe('jane.doe@candidate.example');
    expect([...((await t.ctx.candidates.get('acme', 'c-jane-doe'))?.emails ?? [])].sort()).toEqual(['jane.doe@candidate.example', 'jane@home.example']);

    // The attacker's own mail, SPF pass for evil.example, is not filed under her.
    const later = (await t.ctx.messages.get(await deliver('attacker@evil.example')))!;
    expect(later.auth?.sender).toMatchObject({ authenticated: true, address: 'attacker@evil.example' });
    expect(later).toMatchObject({ status: 'unassigned', decision: { reason: 'unknown_sender', candidate: null } });
  });

  it('remember: several authors in From leave nothing to remember, and asking for it is refused', async () => {
    const id = await unassigned('a@candidate.example, b@candidate.example');
    expect(addressToRemember((await t.ctx.messages.get(id))!)).toMatchObject({ address: null, why: expect.stringMatching(/2 mailboxes/) });
    await expect(assignMessage(t.ctx, acme, id, { candidate: 'c-jane', rememberAddress: true })).rejects.toThrow(ConflictError);
  });

  it('a change whose event cannot be written is rolled back whole', async () => {
    const id = await unassigned('someone@candidate.example');
    t.ctx.db.exec(`CREATE TEMP TRIGGER no_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'events table on fire'); END;`);
    try {
      await expect(dismissMessage(t.ctx, acme, id, 'spam')).rejects.toThrow(/on fire/);
    } finally {
      t.ctx.db.exec('DROP TRIGGER no_events');
    }
    expect((await t.ctx.messages.get(id))?.status).toBe('unassigned');
    expect(await eventsOf(id)).toEqual(['message.unassigned']);
    expect((await dismissMessage(t.ctx, acme, id, 'spam')).status).toBe('dismissed');
    expect(await eventsOf(id)).toEqual(['message.unassigned', 'message.dismissed']);
  });

  it('reprocess counts only messages within reach, and asks for something to do', async () => {
    const id = await unassigned('other@candidate.example');
    await expect(reprocessMessages(t.ctx, globex, { ids: [id] })).rejects.toThrow(NotFoundError);
    expect(await reprocessMessages(t.ctx, globex, { unassigned: {} })).toBe(0);
    await expect(reprocessMessages(t.ctx, acme, {})).rejects.toThrow(InvalidError);
    const progress: number[] = [];
    expect(await reprocessMessages(t.ctx, acme, { ids: [id], progress: (done) => progress.push(done) })).toBe(1);
    expect(progress).toEqual([1]);
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed again');
  });

  it("send: a conversation or account of another tenant is not found; the candidate named must be the tenant's", async () => {
    await expect(sendMessage(t.ctx, acme, { tenant: 'globex', to: 'x@y.example', subject: 'S', text: 'T' })).rejects.toMatchObject({ field: 'tenant' });
    const conversation = await t.ctx.conversations.open((await t.ctx.tenants.get('globex'))!.id, null, 'Theirs', new Date().toISOString());
    await expect(sendMessage(t.ctx, acme, { tenant: 'acme', to: 'x@y.example', subject: 'S', text: 'T', conversationId: conversation })).rejects.toMatchObject({
      kind: 'not_found',
      field: 'conversationId',
    });
    await expect(sendMessage(t.ctx, acme, { tenant: 'acme', to: 'x@y.example', subject: 'S', text: 'T', candidate: 'c-nobody' })).rejects.toMatchObject({
      field: 'candidate',
    });
  });

  it('import: chunks of 50, rejected rows by their index in the whole list, progress after each chunk', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({
      externalId: `imp-${i}`,
      name: `Person ${i}`,
      emails: [i === 77 ? 'not-an-address' : `p${i}@candidate.example`],
    }));
    const progress: number[] = [];
    const result = await importCandidates(t.ctx, EVERY_TENANT, { tenant: 'acme', rows, progress: (done) => progress.push(done) });
    expect(result).toMatchObject({
      created: 119,
      updated: 0,
      rejected: [{ index: 77, externalId: 'imp-77', reason: expect.stringMatching(/not an email address/) }],
    });
    expect(progress).toEqual([50, 100, 120]);
    await expect(importCandidates(t.ctx, globex, { tenant: 'acme', rows })).rejects.toThrow(NotFoundError);
  });

  it("tokens: made, listed and revoked within reach only; another tenant's token is not found", async () => {
    const { info } = await createApiToken(t.ctx, EVERY_TENANT, { tenant: 'globex', name: 'ats' });
    await expect(createApiToken(t.ctx, acme, { tenant: 'globex', name: 'sneaky' })).rejects.toThrow(NotFoundError);
    expect((await listApiTokens(t.ctx, acme)).map((token) => token.id)).not.toContain(info.id);
    await expect(revokeApiToken(t.ctx, acme, info.id)).rejects.toThrow(NotFoundError);
    await revokeApiToken(t.ctx, globex, info.id);
    await expect(revokeApiToken(t.ctx, globex, info.id)).rejects.toThrow(/no live token/);
  });

  it("tenants: a tenant's caller adds subcompanies under its own tenant only", async () => {
    const base = { domains: ['acme.co.uk'], replyDomains: ['replies.acme.co.uk'], forwardAddresses: [] };
    await expect(addTenant(t.ctx, acme, { slug: 'rogue', ...base })).rejects.toThrow(ForbiddenError);
    await expect(addTenant(t.ctx, acme, { slug: 'sneaky', parent: 'globex', ...base })).rejects.toThrow(NotFoundError);
    await expect(addTenant(t.ctx, acme, { slug: 'Bad Slug', parent: 'acme', ...base })).rejects.toThrow(InvalidError);
    expect(await addTenant(t.ctx, acme, { slug: 'acme-uk', parent: 'acme', ...base })).toMatchObject({ slug: 'acme-uk', parent: 'acme' });
  });
});
