// The webhook dispatcher on a real SQLite file and a real HTTP receiver, with
// a fake clock: order per message while an earlier event waits for its retry,
// the retry schedule (about three days, then given up), and an endpoint
// failing for too long disabled with an event.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { zoneResolver, type DnsResolver } from '../../src/dns/index.ts';
import type { Config } from '../../src/config/index.ts';
import { createLogger } from '../../src/log.ts';
import { loadKeyring, type Keyring } from '../../src/secrets/keyring.ts';
import type { Context } from '../../src/context.ts';
import type { Repositories } from '../../src/store/index.ts';
import { retryDelayMs, WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { newWebhookSecret, signature } from '../../src/webhooks/signing.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { BACKENDS, contextOn, type BackendName } from '../helpers/backends.ts';

const receivers: Receiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});
const contexts: Context[] = [];
afterEach(async () => {
  for (const ctx of contexts.splice(0)) await ctx.close();
});

async function setup(
  backend: BackendName,
  over: { settings?: Partial<Config['webhooks']>; resolver?: DnsResolver; url?: (receiverUrl: string) => string } = {},
): Promise<{
  db: Repositories;
  keyring: Keyring;
  receiver: Receiver;
  webhookId: number;
  tenantId: number;
  clock: { now: number };
  dispatcher: WebhookDispatcher;
}> {
  const ctx = await contextOn(backend);
  contexts.push(ctx);
  const dir = ctx.config.data.dir;
  const db: Repositories = ctx;
  const keyring = loadKeyring({ dataDir: dir, key: '', previousKey: '' }, { create: true })!;
  const tenant = await db.tenants.add({
    slug: 'acme',
    domains: ['acme.com'],
    replyDomains: ['replies.acme.com'],
    forwardAddresses: [],
  });
  const receiver = await startReceiver();
  receivers.push(receiver);
  const secret = newWebhookSecret();
  receiver.secrets.push(secret);
  const webhookId = (await db.webhooks.add(tenant.id, over.url ? over.url(receiver.url) : receiver.url, null, keyring.seal(secret), new Date().toISOString()))
    .id;
  // Real time at the start: the receiver (standardwebhooks) refuses timestamps older than 5 minutes.
  const clock = { now: Date.now() };
  const dispatcher = new WebhookDispatcher({
    repositories: db,
    keyring: () => keyring,
    settings: {
      pollIntervalMs: 1000,
      timeoutMs: 2000,
      retryBaseMs: 5000,
      disableAfterHours: 120,
      rotationGraceHours: 24,
      allowPrivateNetworks: true,
      maxPerTenant: 10,
      signedAttachmentUrlsMinutes: 0,
      ...over.settings,
    },
    resolver: over.resolver ?? zoneResolver({}),
    log: createLogger('silent'),
    nowMs: () => clock.now,
    publicUrl: 'https://mailroom.example',
  });
  return { db, keyring, receiver, webhookId, tenantId: tenant.id, clock, dispatcher };
}

describe.each(BACKENDS)('on %s', (backend) => {
  describe('webhook dispatcher', () => {
    it('never lets a later event of a message overtake an earlier one waiting for its retry', async () => {
      const { db, receiver, tenantId, clock, dispatcher } = await setup(backend);
      const events = db.events;
      const first = await events.record(tenantId, 'message.unassigned', 'M1', {}, new Date(clock.now));
      receiver.failWith = 500;
      expect(await dispatcher.runOnce()).toBe(1);
      receiver.failWith = null;
      const second = await events.record(tenantId, 'message.dismissed', 'M1', {}, new Date(clock.now));
      const other = await events.record(tenantId, 'message.assigned', 'M2', {}, new Date(clock.now));
      await dispatcher.runOnce();
      expect(receiver.events.map((e) => e.id)).toEqual([other]);
      clock.now += 5000;
      await dispatcher.runOnce();
      expect(receiver.events.map((e) => e.id)).toEqual([other, first]);
      await dispatcher.runOnce();
      expect(receiver.events.map((e) => e.id)).toEqual([other, first, second]);
    });

    it('retries on the documented schedule for about three days, then gives up; disables an endpoint failing for days, with an event', async () => {
      const { db, receiver, webhookId, tenantId, clock, dispatcher } = await setup(backend);
      const start = clock.now;
      await db.events.record(tenantId, 'message.unassigned', 'M1', {}, new Date(clock.now));
      receiver.failWith = 503;
      const delays: number[] = [];
      for (let attempt = 0; attempt < 20; attempt++) {
        await dispatcher.runOnce();
        const row = (await db.sql.prepare('SELECT state, next_attempt_at FROM webhook_deliveries').get()) as { state: string; next_attempt_at: number };
        if (row.state !== 'pending') break;
        delays.push(row.next_attempt_at - clock.now);
        clock.now = row.next_attempt_at;
      }
      expect(delays.slice(0, 6)).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000]);
      const total = clock.now - start;
      expect(total / 86_400_000).toBeGreaterThan(2.5);
      expect(total / 86_400_000).toBeLessThan(3.5);
      expect(await db.sql.prepare('SELECT state FROM webhook_deliveries').pluck().get()).toBe('failed');
      expect(retryDelayMs(12, 5000)).toBeNull();

      // Still failing days later: the next failure disables it, and says so.
      clock.now += 3 * 86_400_000;
      await db.events.record(tenantId, 'message.unassigned', 'M2', {}, new Date(clock.now));
      await dispatcher.runOnce();
      const webhook = (await db.webhooks.get(webhookId))!;
      expect(webhook).toMatchObject({ status: 'disabled', disabledReason: expect.stringMatching(/every delivery failed since/) });
      expect(await db.sql.prepare(`SELECT COUNT(*) FROM events WHERE type = 'webhook.disabled'`).pluck().get()).toBe(1);
    });

    it('signs as the Standard Webhooks reference does', () => {
      // Test vector from the Standard Webhooks specification's reference libraries.
      const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
      const body = '{"test": 2432232314}';
      expect(signature(secret, id, 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    });
  });

  describe('webhook replay', () => {
    it('a replay while the first attempt is in flight still delivers again', async () => {
      const { db, receiver, webhookId, tenantId, clock, dispatcher } = await setup(backend);
      const store = db.webhooks;
      const id = await db.events.record(tenantId, 'message.assigned', 'M1', {}, new Date(clock.now));
      const [inFlight] = await store.claimDue(clock.now, 10, 60_000);
      // The replay lands between the request and the recording of its answer.
      expect(await store.replay([webhookId], new Date(clock.now - 1000).toISOString(), clock.now)).toBe(1);
      await store.delivered(inFlight!, 204, new Date(clock.now).toISOString());
      expect(await db.sql.prepare('SELECT state FROM webhook_deliveries').pluck().get()).toBe('pending');
      clock.now += 1;
      await dispatcher.runOnce();
      expect(receiver.events.map((e) => e.id)).toEqual([id]);
      expect(await db.sql.prepare('SELECT state FROM webhook_deliveries').pluck().get()).toBe('delivered');
    });
  });
});
