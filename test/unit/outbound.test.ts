// The outbound queue on a real SQLite file: claims and leases, a crash while
// sending (the message is sent again once, with the same Message-ID), the
// deferral schedule and giving up, and pacing per account.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { composeOutbound } from '../../src/relay/compose.ts';
import { outboundJson } from '../../src/views/json.ts';
import { classifySendError, Relay, type SendResult } from '../../src/relay/sender.ts';
import { loadKeyring, type Keyring } from '../../src/secrets/keyring.ts';
import type { Account, OutboundMessage, Repositories } from '../../src/store/index.ts';
import { createContext, type Context } from '../../src/context.ts';
import { BACKENDS, contextOn, type BackendName } from '../helpers/backends.ts';
import { tempDir, testConfig } from '../helpers/server.ts';

const contexts: Context[] = [];
afterEach(async () => {
  for (const ctx of contexts.splice(0)) await ctx.close();
});

async function setup(
  backend: BackendName,
  over: Partial<{ delayMs: number; perMinute: number }> = {},
): Promise<{ db: Repositories; keyring: Keyring; account: Account; dir: string; ctx: Context }> {
  const ctx = await contextOn(backend);
  contexts.push(ctx);
  const dir = ctx.config.data.dir;
  const db: Repositories = ctx;
  const keyring = loadKeyring({ dataDir: dir, key: '', previousKey: '' }, { create: true })!;
  const tenants = db.tenants;
  await tenants.add({ slug: 'acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] });
  const account = await db.accounts.add(
    {
      tenantId: (await tenants.get('acme'))!.id,
      name: 'a',
      provider: 'custom',
      host: '127.0.0.1',
      port: 1,
      security: 'starttls',
      tlsCa: null,
      username: 'u',
      authMethod: 'password',
      sealedSecret: keyring.seal(JSON.stringify({ password: 'p' })),
      fromAddress: 'r@acme.com',
      fromName: null,
      sendingDomain: 'acme.com',
      dkimSelector: null,
      replyLocal: 'careers',
      owner: null,
      isDefault: true,
      delayMs: over.delayMs ?? 0,
      perMinute: over.perMinute ?? 0,
      perDay: 0,
    },
    new Date().toISOString(),
  );
  return { db, keyring, account, dir, ctx };
}

const settings = {
  pollIntervalMs: 1000,
  idleStopMs: 0,
  maxAgeMs: 60_000,
  retryBaseMs: 1000,
  retryMaxMs: 8000,
  platformTenant: '',
  connectionTimeoutMs: 1000,
  allowPrivateNetworks: false,
};

/** A relay whose provider is a function: what "the server said" per message. */
class ScriptedRelay extends Relay {
  readonly sent: { id: string; messageId: string; at: number }[] = [];
  private readonly reply: (m: OutboundMessage) => SendResult;
  private readonly clock: { now: number };
  constructor(db: Repositories, keyring: Keyring, reply: (m: OutboundMessage) => SendResult, clock: { now: number }) {
    super({
      repositories: db,
      keyring: () => keyring,
      settings,
      hostname: 'mx.test',
      log: createLogger('silent'),
      nowMs: () => clock.now,
      resolver: () => Promise.reject(new Error('no DNS here')),
    });
    this.reply = reply;
    this.clock = clock;
  }
  override async send(_account: Account, message: OutboundMessage): Promise<SendResult> {
    this.sent.push({ id: message.id, messageId: message.messageId, at: this.clock.now });
    return this.reply(message);
  }
}

describe.each(BACKENDS)('on %s', (backend) => {
  describe('which account sends', () => {
    it("explicit, else the user's own, else the subcompany default, else the parent default, else the platform account", async () => {
      const { db, keyring, account: acmeDefault } = await setup(backend);
      const tenants = db.tenants;
      await tenants.add({ slug: 'acme-de', parent: 'acme', domains: ['acme.de'], replyDomains: [], forwardAddresses: [] });
      await tenants.add({ slug: 'platform', domains: ['mailroom.example'], replyDomains: ['replies.mailroom.example'], forwardAddresses: [] });
      await tenants.add({ slug: 'solo', domains: ['solo.example'], replyDomains: ['replies.solo.example'], forwardAddresses: [] });
      const accounts = db.accounts;
      const base = { ...(await accounts.get(acmeDefault.id))!, sealedSecret: keyring.seal('{}') };
      const add = async (tenant: string, name: string, owner: string | null, isDefault: boolean): Promise<number> =>
        (await accounts.add({ ...base, tenantId: (await tenants.get(tenant))!.id, name, owner, isDefault }, new Date().toISOString())).id;
      const annasOwn = await add('acme-de', 'anna', 'anna@acme.de', false);
      const platformDefault = await add('platform', 'managed', null, true);
      const viaDe = async (over: { owner?: string; accountId?: number }): Promise<number> =>
        (
          await composeOutbound(
            { repositories: db, keyring, now: new Date(), platformTenant: 'platform' },
            { tenant: 'acme-de', to: 'x@y.example', subject: 'S', text: 'T', ...over },
          )
        ).accountId;
      expect(await viaDe({ owner: 'anna@acme.de' })).toBe(annasOwn);
      expect(await viaDe({})).toBe(acmeDefault.id); // the subcompany has no default: the parent's
      const deDefault = await add('acme-de', 'de-default', null, true);
      expect(await viaDe({})).toBe(deDefault);
      expect(await viaDe({ accountId: acmeDefault.id })).toBe(acmeDefault.id);
      const solo = await composeOutbound(
        { repositories: db, keyring, now: new Date(), platformTenant: 'platform' },
        { tenant: 'solo', to: 'x@y.example', subject: 'S', text: 'T' },
      );
      expect(solo).toMatchObject({ accountId: platformDefault, replyTo: expect.stringMatching(/@replies\.solo\.example$/) });
      await expect(
        composeOutbound({ repositories: db, keyring, now: new Date() }, { tenant: 'solo', to: 'x@y.example', subject: 'S', text: 'T' }),
      ).rejects.toThrow(/no default sending account/);
      await expect(
        composeOutbound(
          { repositories: db, keyring, now: new Date() },
          { tenant: 'solo', accountId: acmeDefault.id, to: 'x@y.example', subject: 'S', text: 'T' },
        ),
      ).rejects.toThrow(/no account/);
    });
  });

  describe('the relay hears of a send', () => {
    it('as coming once it is valid, before its transaction, and as written once that commits; an invalid one not at all', async () => {
      const { db, keyring } = await setup(backend);
      const heard: string[] = [];
      db.sql.work.onComing((kind) => heard.push(`coming ${kind}${db.sql.inTransaction() ? ' in a transaction' : ''}`));
      db.sql.work.on((kind) => heard.push(`written ${kind}`));
      await expect(
        composeOutbound({ repositories: db, keyring, now: new Date() }, { tenant: 'acme', to: 'not an address', subject: 'S', text: 'T' }),
      ).rejects.toThrow(/not an email address/);
      expect(heard).toEqual([]);
      await composeOutbound({ repositories: db, keyring, now: new Date() }, { tenant: 'acme', to: 'x@y.example', subject: 'S', text: 'T' });
      expect(heard).toEqual(['coming outbound', 'written outbound']);
    });
  });

  describe('outbound Message-IDs', () => {
    it('are 128 random bits, independent of the queue id, the row and the time', async () => {
      const { db, keyring } = await setup(backend);
      const at = new Date();
      const sent = await Promise.all(
        Array.from({ length: 50 }, () =>
          composeOutbound({ repositories: db, keyring, now: at }, { tenant: 'acme', to: 'jane@x.example', subject: 'S', text: 'T' }),
        ),
      );
      const locals = sent.map((m) => m.messageId.slice(0, m.messageId.indexOf('@')));
      for (const [i, local] of locals.entries()) {
        expect(local).toMatch(/^[0-9a-f]{32}$/);
        expect(local).not.toContain(sent[i]!.id.toLowerCase().slice(0, 10));
      }
      expect(new Set(locals).size).toBe(locals.length);
      // Made in the same millisecond, consecutive ids share no prefix beyond chance (a ULID's would share 10+ characters).
      const shared = locals.slice(1).map((l, i) => [...l].findIndex((ch, k) => ch !== locals[i]![k]));
      expect(Math.max(...shared)).toBeLessThan(6);
    });
  });

  describe('outbound queue', () => {
    it('a message claimed by a process that died is sent again once, with the same Message-ID', async () => {
      const { db, keyring } = await setup(backend);
      const queued = await composeOutbound({ repositories: db, keyring, now: new Date() }, { tenant: 'acme', to: 'jane@x.example', subject: 'S', text: 'T' });
      const store = db.outbound;
      expect((await store.claimDue(Date.now(), 300_000, 10)).map((m) => m.id)).toEqual([queued.id]);
      // The process dies here. The next one starts: its lease is released at once.
      expect(await store.claimDue(Date.now(), 300_000, 10)).toEqual([]);
      expect(await store.releaseOrphaned(Date.now())).toBe(1);
      const clock = { now: Date.now() };
      const relay = new ScriptedRelay(db, keyring, () => ({ outcome: 'sent', reply: '250 ok' }), clock);
      expect(await relay.runOnce()).toBe(1);
      expect(await relay.runOnce()).toBe(0);
      expect(relay.sent).toEqual([{ id: queued.id, messageId: queued.messageId, at: clock.now }]);
      expect(await store.get(queued.id)).toMatchObject({ status: 'sent', attempts: 2 });
    });

    it('defers with a doubling delay, then fails once the message is older than relay.maxAgeMs', async () => {
      const { db, keyring } = await setup(backend);
      const start = Date.now();
      const clock = { now: start };
      const queued = await composeOutbound(
        { repositories: db, keyring, now: new Date(start) },
        { tenant: 'acme', to: 'jane@x.example', subject: 'S', text: 'T' },
      );
      const relay = new ScriptedRelay(db, keyring, () => classifySendError({ code: 'EENVELOPE', responseCode: 451, response: '451 4.3.0 try later' }), clock);
      const store = db.outbound;
      const delays: number[] = [];
      while ((await store.get(queued.id))?.status !== 'failed' && delays.length < 20) {
        await relay.runOnce();
        const m = (await store.get(queued.id))!;
        if (m.status === 'deferred') {
          delays.push(m.nextAttemptAt - clock.now);
          clock.now = m.nextAttemptAt;
        }
      }
      expect(delays.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 8000]);
      // Given up on age, it keeps the last attempt's failure: temporary, as the server said.
      expect(await store.get(queued.id)).toMatchObject({
        status: 'failed',
        lastReply: expect.stringMatching(/^gave up after .*451 4\.3\.0/),
        lastFailure: { permanent: false, code: 451, enhancedCode: '4.3.0', line: '451 4.3.0 try later', cause: 'refused' },
      });
    });

    it('classifies replies: 5xx fails, 4xx and network errors defer, a refused login defers and flags the account', () => {
      expect(classifySendError({ responseCode: 550, response: '550 5.1.1 no' }).outcome).toBe('failed');
      expect(classifySendError({ responseCode: 421, response: '421 busy' }).outcome).toBe('deferred');
      expect(classifySendError({ code: 'ECONNECTION', message: 'socket closed' })).toMatchObject({ outcome: 'deferred', reply: 'ECONNECTION: socket closed' });
      expect(classifySendError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad' })).toMatchObject({
        outcome: 'deferred',
        failure: { cause: 'auth', permanent: true },
      });
    });

    it('stores the failure typed beside its words; a row from before typed failures keeps its words and shows no failure', async () => {
      const { db, keyring, ctx } = await setup(backend);
      const queued = await composeOutbound({ repositories: db, keyring, now: new Date() }, { tenant: 'acme', to: 'jane@x.example', subject: 'S', text: 'T' });
      const refused = classifySendError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' });
      if (refused.outcome === 'sent') throw new Error('a refusal classified as sent');
      await db.outbound.markFailed(queued.id, refused.reply, refused.failure);
      const failed = (await db.outbound.get(queued.id))!;
      expect(failed.lastFailure).toEqual({ permanent: true, code: 550, enhancedCode: '5.1.1', line: '550 5.1.1 no such user', cause: 'refused' });
      expect(outboundJson(failed).failure).toEqual(failed.lastFailure);
      // As the relay before typed failures left it: words only.
      await ctx.sql.prepare('UPDATE outbound_messages SET last_failure = NULL, last_reply = ? WHERE id = ?').run('550 5.1.1 no such user', queued.id);
      expect(outboundJson((await db.outbound.get(queued.id))!)).toMatchObject({ status: 'failed', lastReply: '550 5.1.1 no such user', failure: null });
      // A value this version cannot read is no failure, not an error.
      await ctx.sql.prepare('UPDATE outbound_messages SET last_failure = ? WHERE id = ?').run('{"permanent":true,"cause":"cosmic rays"}', queued.id);
      expect((await db.outbound.get(queued.id))?.lastFailure).toBeNull();
      // Sent at last: the failure is gone with the status.
      await db.outbound.markDeferred(queued.id, refused.reply, refused.failure, Date.now());
      expect((await db.outbound.get(queued.id))?.lastFailure).toEqual(refused.failure);
      await db.outbound.markSent(queued.id, '250 ok', new Date().toISOString());
      expect((await db.outbound.get(queued.id))?.lastFailure).toBeNull();
    });

    it('keeps the delay between emails of one account', async () => {
      const { db, keyring } = await setup(backend, { delayMs: 50 });
      for (let i = 0; i < 4; i++)
        await composeOutbound({ repositories: db, keyring, now: new Date() }, { tenant: 'acme', to: `c${i}@x.example`, subject: 'S', text: 'T' });
      const clock = {
        get now() {
          return Date.now();
        },
      };
      const relay = new ScriptedRelay(db, keyring, () => ({ outcome: 'sent', reply: '250 ok' }), clock);
      await relay.runOnce();
      const gaps = relay.sent.slice(1).map((s, i) => s.at - (relay.sent[i] as { at: number }).at);
      expect(relay.sent).toHaveLength(4);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(49);
    });

    it('holds messages past the per-minute cap for later instead of sending them', async () => {
      const { db, keyring } = await setup(backend, { perMinute: 2 });
      for (let i = 0; i < 3; i++)
        await composeOutbound({ repositories: db, keyring, now: new Date() }, { tenant: 'acme', to: `c${i}@x.example`, subject: 'S', text: 'T' });
      const clock = { now: Date.now() };
      const relay = new ScriptedRelay(db, keyring, () => ({ outcome: 'sent', reply: '250 ok' }), clock);
      await relay.runOnce();
      expect(relay.sent).toHaveLength(2);
      const held = await db.outbound.list({ status: 'queued', limit: 10 });
      expect(held).toHaveLength(1);
      expect(held[0]!.nextAttemptAt).toBeGreaterThanOrEqual(clock.now + 59_000);
      expect(held[0]!.attempts).toBe(0);
    });

    it.runIf(backend === 'postgres')('keeps the delay and the cap across two nodes sending for one account', async () => {
      const { db, keyring, ctx } = await setup(backend, { delayMs: 100, perMinute: 5 });
      // A second node: its own context (pool) on the same database and key.
      const other = await createContext(testConfig(tempDir(), { database: { url: ctx.config.database.url }, secret: { key: ctx.config.secret.key } }), {
        log: createLogger('silent'),
      });
      contexts.push(other);
      const queue = async (from: number): Promise<void> => {
        for (let i = from; i < from + 4; i++)
          await composeOutbound({ repositories: db, keyring, now: new Date() }, { tenant: 'acme', to: `c${i}@x.example`, subject: 'S', text: 'T' });
      };
      const clock = {
        get now() {
          return Date.now();
        },
      };
      const sent = () => ({ outcome: 'sent' as const, reply: '250 ok' });
      const [one, two] = [new ScriptedRelay(db, keyring, sent, clock), new ScriptedRelay(other, keyring, sent, clock)];
      // Each node claims its own messages of the account, and both send at once.
      await queue(0);
      const first = one.runOnce();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await queue(4);
      await Promise.all([first, two.runOnce()]);
      expect(one.sent.length).toBeGreaterThan(0);
      expect(two.sent.length).toBeGreaterThan(0);
      const all = [...one.sent, ...two.sent].sort((a, b) => a.at - b.at);
      // The per-minute cap of 5 holds for both together, each message went once, and never two closer than the delay.
      expect(all).toHaveLength(5);
      expect(new Set(all.map((s) => s.id)).size).toBe(5);
      // A slot is booked when it is due, at the moment of sending, 100 ms after the last one: a relay whose timer fired
      // late pushes the next one back. The few ms allowed are between a booking's commit and the send it times.
      for (let i = 1; i < all.length; i++) expect(all[i]!.at - all[i - 1]!.at).toBeGreaterThanOrEqual(90);
      expect(await db.outbound.list({ status: 'queued', limit: 10 })).toHaveLength(3);
    });
  });
});
