// Webhooks end to end: events written with the changes they describe, signed
// deliveries verified by the standardwebhooks package, the receiver down and
// back (everything delivered, in order per message), a restart of mailroom in
// the middle, secret rotation, replay, and 410 Gone; attachments with signed
// URLs that download without a token. Every event received is validated
// against its schema in the served OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../src/context.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { newWebhookSecret } from '../../src/webhooks/signing.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { eventValidator, type EventCheck } from '../helpers/event-schemas.ts';
import { signedQuery } from '../../src/webhooks/attachment-links.ts';
import { authenticatedSenders, BACKENDS, isProcessed, seedTenants, tempDir, testConfig, waitFor, zoneFile } from '../helpers/server.ts';
import { postgresSettings } from '../helpers/postgres.ts';
import { assignMessage, dismissMessage, EVERY_TENANT } from '../../src/operations/index.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  const dataDir = tempDir('mailroom-webhooks-');
  const sections = {
    webhooks: { pollIntervalMs: 50, retryBaseMs: 50, signedAttachmentUrlsMinutes: 5 },
    relay: { pollIntervalMs: 100 },
    dns: { zoneFile: zoneFile(tempDir(), authenticatedSenders(['candidate.example'])) },
  };
  let config = testConfig(dataDir, sections);
  beforeAll(async () => {
    // On PostgreSQL the contexts and restarts of this file share a database of their own, and the key.
    if (backend === 'postgres') config = testConfig(dataDir, { ...sections, ...(await postgresSettings()) });
  });
  let ctx: Context;
  let server: RunningServer | null = null;
  const receivers: Receiver[] = [];
  let check: EventCheck = () => 'the server has not started';
  let api = '';

  async function start(): Promise<void> {
    ctx = await createContext(config, { log: createLogger('silent') });
    server = await startServer(ctx);
    api = `http://127.0.0.1:${server.http!.port}`;
    check = await eventValidator(api);
  }

  /** A receiver that validates every event against the served document. */
  async function newReceiver(): Promise<Receiver> {
    const r = await startReceiver('/hooks', (event) => check(event));
    receivers.push(r);
    return r;
  }

  async function stop(): Promise<void> {
    await server?.stop();
    server = null;
  }

  afterAll(async () => {
    await stop();
    for (const r of receivers) await r.close().catch(() => undefined);
    // Whatever any test made mailroom send follows the document.
    expect(receivers.flatMap((r) => r.invalidEvents)).toEqual([]);
  });

  async function addWebhook(tenant: string, url: string, events: string[] | null = null): Promise<{ id: number; secret: string }> {
    const secret = newWebhookSecret();
    const webhook = await ctx.webhooks.add((await ctx.tenants.get(tenant))!.id, url, events, ctx.keyring().seal(secret), new Date().toISOString());
    return { id: webhook.id, secret };
  }

  async function deliver(from: string, subject: string): Promise<string> {
    const c = await RawSmtp.connect(server!.smtp.port);
    expect((await c.startData(['careers@replies.acme.com'], from))?.code).toBe(354);
    const id = queuedId(await c.command(`From: ${from}\r\nSubject: ${subject}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@x>\r\n\r\nHello.\r\n.`));
    c.close();
    await waitFor(async () => isProcessed((await ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  describe('webhooks', () => {
    it('delivers signed events for decisions, dismissals and manual assignments, to the tenant and only that tenant', async () => {
      const first = await createContext(config, { log: createLogger('silent') });
      await seedTenants(first);
      await first.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane', emails: ['jane@candidate.example'] });
      await first.close();
      await start();
      const acme = await newReceiver();
      const globex = await newReceiver();
      acme.secrets.push((await addWebhook('acme', acme.url)).secret);
      globex.secrets.push((await addWebhook('globex', globex.url)).secret);

      const assigned = await deliver('jane@candidate.example', 'Re: Interview');
      const unknown = await deliver('stranger@else.example', 'Hello');
      await dismissMessage(ctx, EVERY_TENANT, unknown, 'spam');
      const byHand = await deliver('jane.work@else.example', 'From my work address');
      const jane = (await ctx.candidates.get('acme', 'c-jane'))!;
      await assignMessage(ctx, EVERY_TENANT, byHand, { candidate: jane.externalId });
      await waitFor(() => acme.events.length >= 5, 10_000, 'five events');
      expect(acme.badSignatures).toEqual([]);
      // Events of different messages may arrive in any order (several can be due in one pass); a message's own, in order.
      const byId = [...acme.events].sort((a, b) => a.id.localeCompare(b.id));
      expect(byId.map((e) => [e.type, (e.data.message as { id: string }).id])).toEqual([
        ['message.assigned', assigned],
        ['message.unassigned', unknown],
        ['message.dismissed', unknown],
        ['message.unassigned', byHand],
        ['message.assigned', byHand],
      ]);
      for (const id of [unknown, byHand])
        expect(acme.events.filter((e) => (e.data.message as { id: string }).id === id).map((e) => e.id)).toEqual(
          byId.filter((e) => (e.data.message as { id: string }).id === id).map((e) => e.id),
        );
      expect(byId[4]).toMatchObject({ data: { message: { method: 'manual', conversationId: expect.any(Number) } } });
      expect(byId[0]).toMatchObject({
        id: expect.stringMatching(/^evt_/),
        tenant: 'acme',
        data: { message: { status: 'assigned', candidate: { externalId: 'c-jane' } } },
      });
      expect(globex.events).toEqual([]);
      expect(acme.invalidEvents).toEqual([]);
    });

    it('keeps events while the receiver is down and across a restart of mailroom, then delivers all, in order per message', async () => {
      const receiver = await newReceiver();
      receiver.secrets.push((await addWebhook('acme', receiver.url, ['message.unassigned', 'message.dismissed'])).secret);
      receiver.failWith = 503;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await deliver(`nobody${i}@else.example`, `Hello ${i}`));
      for (const id of ids) await dismissMessage(ctx, EVERY_TENANT, id, null);
      await waitFor(() => receiver.attempts >= 2, 10_000, 'failed attempts');

      // mailroom stops with everything undelivered; the receiver goes away entirely.
      await stop();
      await receiver.close();
      await start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      receiver.failWith = null;
      await receiver.reopen();

      await waitFor(() => receiver.events.length >= 6, 20_000, 'all six events');
      expect(receiver.badSignatures).toEqual([]);
      expect(new Set(receiver.events.map((e) => e.id)).size).toBe(receiver.events.length);
      for (const id of ids) {
        const types = receiver.events.filter((e) => (e.data.message as { id: string }).id === id).map((e) => e.type);
        expect(types, id).toEqual(['message.unassigned', 'message.dismissed']);
      }
    });

    it('signs with both secrets during a rotation, replays on request, and disables an endpoint that answers 410', async () => {
      const receiver = await newReceiver();
      const { id, secret } = await addWebhook('acme', receiver.url, ['message.dismissed']);
      const fresh = newWebhookSecret();
      await ctx.webhooks.rotate(id, ctx.keyring().seal(fresh), new Date(Date.now() + 3_600_000).toISOString());
      // A receiver that only knows the old secret still verifies, and one that only knows the new one does too.
      receiver.secrets.push(secret);
      const since = new Date().toISOString();
      const message = await deliver('old@else.example', 'Old secret');
      await dismissMessage(ctx, EVERY_TENANT, message, null);
      await waitFor(() => receiver.events.length === 1, 10_000, 'delivered under the old secret');
      receiver.secrets.splice(0, 1, fresh);
      expect(await ctx.webhooks.replay([id], since, Date.now())).toBe(1);
      await waitFor(() => receiver.events.length === 2, 10_000, 'replayed under the new secret');
      expect(receiver.events[1]?.id).toBe(receiver.events[0]?.id);
      expect(receiver.badSignatures).toEqual([]);

      receiver.failWith = 410;
      await dismissMessage(ctx, EVERY_TENANT, await deliver('gone@else.example', 'Gone'), null);
      await waitFor(async () => (await ctx.webhooks.get(id))?.status === 'disabled', 10_000, 'disabled after 410');
      expect((await ctx.webhooks.get(id))?.disabledReason).toMatch(/410 Gone/);
    });

    it("gives a message event's attachments signed URLs that download without a token until they expire; tampered or expired: 403", async () => {
      const receiver = await newReceiver();
      receiver.secrets.push((await addWebhook('acme', receiver.url, ['message.assigned'])).secret);
      const cv = Buffer.from('%PDF-1.4 my CV').toString('base64');
      const c = await RawSmtp.connect(server!.smtp.port);
      expect((await c.startData(['careers@replies.acme.com'], 'jane@candidate.example'))?.code).toBe(354);
      const id = queuedId(
        await c.command(
          `From: jane@candidate.example\r\nSubject: My CV\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--b\r\nContent-Type: application/pdf; name="cv.pdf"\r\nContent-Disposition: attachment; filename="cv.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${cv}\r\n--b--\r\n.`,
        ),
      );
      c.close();
      await waitFor(() => receiver.events.some((e) => (e.data.message as { id: string }).id === id), 10_000, 'the event of the message with a CV');
      const event = receiver.events.find((e) => (e.data.message as { id: string }).id === id)!;
      const [attachment] = (event.data.message as { attachments: { sha256: string; url: string }[] }).attachments;
      const path = `/v1/messages/${id}/attachments/${attachment!.sha256}`;
      expect(attachment!.url).toMatch(new RegExp(`^${api}${path}\\?expires=\\d+&kid=\\w+&signature=[\\w-]+$`));
      const expires = Number(new URL(attachment!.url).searchParams.get('expires'));
      expect(expires * 1000).toBeGreaterThan(Date.now() + 4 * 60_000);
      expect(expires * 1000).toBeLessThanOrEqual(Date.now() + 5 * 60_000);

      const download = await fetch(attachment!.url);
      expect(download.status).toBe(200);
      expect(await download.text()).toBe('%PDF-1.4 my CV');
      // Without the signature it is an API path like any other: a token is needed.
      expect((await fetch(`${api}${path}`)).status).toBe(401);
      const tampered = new URL(attachment!.url);
      tampered.searchParams.set('expires', String(expires + 3600));
      expect((await fetch(tampered)).status).toBe(403);
      // The signature names the message: moved to another one, it is refused.
      expect((await fetch(attachment!.url.replace(id, '01JZZZZZZZZZZZZZZZZZZZZZZZ'))).status).toBe(403);
      // Genuinely signed, but an hour ago for a minute.
      const expired = await fetch(`${api}${path}${signedQuery(ctx.keyring(), id, attachment!.sha256, Math.floor(Date.now() / 1000) - 3600)}`);
      expect(expired.status).toBe(403);
      expect(((await expired.json()) as { detail: string }).detail).toMatch(/expired/);
      // Signed for an attachment this message does not have: nothing to find.
      const other = 'a'.repeat(64);
      expect((await fetch(`${api}/v1/messages/${id}/attachments/${other}${signedQuery(ctx.keyring(), id, other, expires)}`)).status).toBe(404);
      expect(receiver.invalidEvents).toEqual([]);
      // The check bites: an event unlike its schema is named.
      const message = event.data.message as Record<string, unknown>;
      expect(check({ ...event, data: { message: { ...message, status: 'lost' } } })).toMatch(/status/);
      expect(check({ ...event, data: { message: { ...message, surprise: true } } })).toMatch(/additional/);
    });
  });
});
