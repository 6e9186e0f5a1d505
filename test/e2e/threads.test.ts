// Threads end to end: outreach through an account, the candidate's replies
// over SMTP, and what the API makes of them: each reply names the outbound
// message it answers (whichever rule matched it), a conversation reads as its
// messages in and out, oldest first, in cursor pages; a candidate's
// conversations; the message list by candidate and conversation; attachments
// with a url that downloads; another tenant's token sees none of it; and the
// webhook events of it all, each checked against the served OpenAPI document.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { composeOutbound } from '../../src/relay/compose.ts';
import type { OutboundMessage } from '../../src/store/index.ts';
import { ConversationSchema, MessageSchema, MessageShownSchema, page, ThreadItemSchema } from '../../src/http/schemas.ts';
import { addTestAccount } from '../helpers/accounts.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { eventValidator } from '../helpers/event-schemas.ts';
import { runCli } from '../helpers/process.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { newWebhookSecret } from '../../src/webhooks/signing.ts';
import { EVENT_TYPES } from '../../src/store/events.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { authenticatedSenders, BACKENDS, isProcessed, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';

const Thread = ConversationSchema.extend({ items: z.array(ThreadItemSchema), nextCursor: z.string().nullable() });
const MessagePage = page(MessageSchema, 'MessagePage');
const ConversationPage = page(ConversationSchema, 'ConversationPage');

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let provider: Provider;
  let base: string;
  let acmeToken: string;
  let globexToken: string;
  let receiver: Receiver;

  beforeAll(async () => {
    // The test client is 127.0.0.1 and candidate.example's SPF allows it: Jane's mail is authenticated.
    const zone = zoneFile(tempDir(), authenticatedSenders(['candidate.example']));
    t = await startTestServer({ backend, overrides: { relay: { pollIntervalMs: 100 }, dns: { zoneFile: zone } } });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    const now = new Date().toISOString();
    acmeToken = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('acme'))!.id, 'ats', now)).token;
    globexToken = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('globex'))!.id, 'ats', now)).token;
    provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' } });
    await addTestAccount(t.ctx, provider, { name: 'main', isDefault: true });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane', emails: ['jane@candidate.example'] });
    // The platform hears of everything below; each event is checked against its schema in the served document.
    receiver = await startReceiver('/hooks', await eventValidator(base));
    const secret = newWebhookSecret();
    receiver.secrets.push(secret);
    await t.ctx.webhooks.add((await t.ctx.tenants.get('acme'))!.id, receiver.url, null, t.ctx.keyring().seal(secret), now);
  });
  afterAll(async () => {
    await t.cleanup();
    await provider.close();
    await receiver.close();
  });

  async function send(request: { to: string; subject: string; conversationId?: number; withCandidate?: boolean }): Promise<OutboundMessage> {
    const candidate = request.withCandidate ? await t.ctx.candidates.get('acme', 'c-jane') : null;
    const queued = await composeOutbound(
      { repositories: t.ctx, keyring: t.ctx.keyring(), now: new Date() },
      {
        tenant: 'acme',
        to: request.to,
        subject: request.subject,
        text: 'Hello',
        candidate,
        ...(request.conversationId ? { conversationId: request.conversationId } : {}),
      },
    );
    await waitFor(async () => (await t.ctx.outbound.get(queued.id))?.status === 'sent', 10_000, `outbound ${queued.id} sent`);
    return queued;
  }

  async function deliver(rcpt: string, headers: string, body = 'Tuesday works.'): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([rcpt], 'jane@candidate.example'))?.code).toBe(354);
    const id = queuedId(await c.command(`From: jane@candidate.example\r\n${headers}\r\n\r\n${body}\r\n.`));
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  async function get(path: string, token: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  let first: OutboundMessage;
  let second: OutboundMessage;
  let byToken: string;
  let bySender: string;
  let newest: OutboundMessage;

  it('gives every reply the outbound message it answers: by token, and by sender with References naming two of ours (the newest)', async () => {
    first = await send({ to: 'jane@candidate.example', subject: 'Your application: Senior Backend Engineer', withCandidate: true });
    const cv = Buffer.from('%PDF-1.4 my CV').toString('base64');
    byToken = await deliver(
      first.replyTo!,
      `Subject: Re: Your application: Senior Backend Engineer\r\nIn-Reply-To: <${first.messageId}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"`,
      `--b\r\nContent-Type: text/plain\r\n\r\nMy CV attached.\r\n--b\r\nContent-Type: application/pdf; name="cv.pdf"\r\nContent-Disposition: attachment; filename="cv.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${cv}\r\n--b--`,
    );
    const tokenReply = (await t.ctx.messages.get(byToken))!;
    expect(tokenReply).toMatchObject({ status: 'assigned', conversationId: first.conversationId, outboundId: first.id, decision: { method: 'token' } });
    second = await send({ to: 'jane@candidate.example', subject: 'Re: Your application: Senior Backend Engineer', conversationId: first.conversationId });

    // Two messages to an address that is no candidate's: no thread to follow, so Jane's answer is matched by her (authenticated) address.
    const older = await send({ to: 'jane.work@candidate.example', subject: 'Coffee?' });
    newest = await send({ to: 'jane.work@candidate.example', subject: 'Coffee next week?' });
    // The header's order is not what decides: the newest of ours named is.
    bySender = await deliver('careers@replies.acme.com', `Subject: Re: Coffee next week?\r\nReferences: <${newest.messageId}> <${older.messageId}>`);
    const senderReply = (await t.ctx.messages.get(bySender))!;
    expect(senderReply).toMatchObject({ status: 'assigned', outboundId: newest.id, decision: { method: 'sender', candidate: { externalId: 'c-jane' } } });

    const shown = MessageShownSchema.parse((await get(`/v1/messages/${byToken}`, acmeToken)).body);
    expect(shown.outboundId).toBe(first.id);

    // inspect says the same of a file, for the tenant named (another tenant sent nothing it names).
    const dir = tempDir();
    const file = join(dir, 'reply.eml');
    writeFileSync(file, `From: jane@candidate.example\r\nSubject: Re: Coffee\r\nReferences: <${older.messageId}> <${newest.messageId}>\r\n\r\nYes.\r\n`);
    const env = { ...t.cliEnv, MAILROOM_DNS_ZONE_FILE: zoneFile(dir) };
    const inspected = runCli(['inspect', file, '--json', '--tenant', 'acme'], env);
    expect(inspected.stderr).toBe('');
    expect(JSON.parse(inspected.stdout)).toMatchObject({ outboundId: newest.id });
    expect(JSON.parse(runCli(['inspect', file, '--json', '--tenant', 'globex'], env).stdout)).toMatchObject({ outboundId: null });

    // The webhook says it too: four messages sent, two replies filed, each event as the document describes it.
    await waitFor(() => receiver.events.length >= 6, 10_000, 'six events');
    expect(receiver.events.filter((e) => e.type === 'outbound.sent')).toHaveLength(4);
    const replies = receiver.events.filter((e) => e.type === 'message.assigned').map((e) => e.data.message as { id: string; outboundId: string | null });
    expect(replies.map((m) => [m.id, m.outboundId]).sort()).toEqual(
      [
        [byToken, first.id],
        [bySender, newest.id],
      ].sort(),
    );
    expect(receiver.badSignatures).toEqual([]);
    expect(receiver.invalidEvents).toEqual([]);
  });

  it('reads a conversation as its messages in and out, oldest first, in cursor pages; another tenant gets 404', async () => {
    const all = Thread.parse((await get(`/v1/conversations/${first.conversationId}`, acmeToken)).body);
    expect(all).toMatchObject({ id: first.conversationId, tenant: 'acme', candidate: { externalId: 'c-jane' }, nextCursor: null });
    expect(all.items.map((i) => [i.direction, i.id])).toEqual([
      ['out', first.id],
      ['in', byToken],
      ['out', second.id],
    ]);
    const reply = all.items[1]!;
    if (reply.direction !== 'in') throw new Error('the reply is a message in');
    expect(reply.outboundId).toBe(first.id);
    const attachment = reply.attachments[0]!;
    expect(attachment.url).toBe(`/v1/messages/${byToken}/attachments/${attachment.sha256}`);
    const download = await fetch(`${base}${attachment.url}`, { headers: { authorization: `Bearer ${acmeToken}` } });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('%PDF-1.4 my CV');

    const one = Thread.parse((await get(`/v1/conversations/${first.conversationId}?limit=2`, acmeToken)).body);
    expect(one.items.map((i) => i.id)).toEqual([first.id, byToken]);
    const two = Thread.parse((await get(`/v1/conversations/${first.conversationId}?limit=2&cursor=${one.nextCursor}`, acmeToken)).body);
    expect(two.items.map((i) => i.id)).toEqual([second.id]);
    expect(two.nextCursor).toBeNull();

    expect((await get(`/v1/conversations/${first.conversationId}`, globexToken)).status).toBe(404);
    expect((await get('/v1/conversations/999999', acmeToken)).status).toBe(404);
    expect((await get(`/v1/conversations/${first.conversationId}?cursor=bm9wZQ`, acmeToken)).status).toBe(400);
  });

  it("lists a candidate's conversations and filters messages by candidate and conversation, within the tenant", async () => {
    const conversations = ConversationPage.parse((await get('/v1/candidates/c-jane/conversations', acmeToken)).body);
    const senderConversation = (await t.ctx.messages.get(bySender))!.conversationId;
    expect(conversations.items.map((c) => c.id)).toEqual([senderConversation, first.conversationId]);
    const paged = ConversationPage.parse((await get('/v1/candidates/c-jane/conversations?limit=1', acmeToken)).body);
    expect(paged.items.map((c) => c.id)).toEqual([senderConversation]);
    const rest = ConversationPage.parse((await get(`/v1/candidates/c-jane/conversations?limit=1&cursor=${paged.nextCursor}`, acmeToken)).body);
    expect(rest).toMatchObject({ items: [{ id: first.conversationId, subject: 'Your application: Senior Backend Engineer' }], nextCursor: null });
    expect((await get('/v1/candidates/c-jane/conversations', globexToken)).status).toBe(404);
    expect((await get('/v1/candidates/nobody/conversations', acmeToken)).status).toBe(404);

    const byCandidate = MessagePage.parse((await get('/v1/messages?candidate=c-jane', acmeToken)).body);
    expect(byCandidate.items.map((m) => m.id)).toEqual([bySender, byToken]);
    const byConversation = MessagePage.parse((await get(`/v1/messages?conversation=${first.conversationId}`, acmeToken)).body);
    expect(byConversation.items.map((m) => m.id)).toEqual([byToken]);
    expect((await get(`/v1/messages?conversation=${first.conversationId}`, globexToken)).status).toBe(404);
    expect((await get('/v1/messages?candidate=c-jane', globexToken)).status).toBe(404);
  });

  it('the OpenAPI document describes the thread routes, every field of the Message JSON, and every webhook event type', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
      webhooks: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/conversations/{id}', '/v1/candidates/{externalId}/conversations']));
    // Every field a message shows, read from a real one, is in the document, and required.
    const shown = Object.keys((await get(`/v1/messages/${byToken}`, acmeToken)).body as object).filter((k) => k !== 'evidence');
    const message = doc.components.schemas.Message!;
    expect(Object.keys(message.properties ?? {}).sort()).toEqual(shown.sort());
    expect([...(message.required ?? [])].sort()).toEqual(shown.sort());
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
  });
});
