// Outbound connections a tenant can point us at reach only the public internet:
// every refused address class (IPv4, IPv6, IPv4 inside IPv6), URLs checked
// before DNS, host names checked by what they resolve to (through the injected
// resolver), and a delivery that connects to the address it checked even when
// DNS changes after the endpoint was added.
import { afterAll, describe, expect, it } from 'vitest';
import type { DnsResolver } from '../../src/dns/index.ts';
import { RefusedError } from '../../src/errors.ts';
import { checkTargetUrl, mailServerRules, nonPublicRange, resolvePublicHost, resolvePublicTarget } from '../../src/net/index.ts';
import { transportOptions } from '../../src/relay/transport.ts';
import type { Account } from '../../src/store/index.ts';
import { createRepositories, EventStore, openDatabase, TenantStore, WebhookStore, SqliteSql } from '../../src/store/index.ts';
import { loadKeyring } from '../../src/secrets/keyring.ts';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { addWebhook, EVERY_TENANT } from '../../src/operations/index.ts';
import { createContext, type Context } from '../../src/context.ts';
import { newWebhookSecret } from '../../src/webhooks/signing.ts';
import { createLogger } from '../../src/log.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { tempDir, testConfig } from '../helpers/server.ts';

const receivers: Receiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});

/** A resolver answering from a table that a test may change; anything else does not exist. */
function tableResolver(table: Record<string, string[]>): DnsResolver {
  return async (name, rrtype) => {
    const answers = (table[name] ?? []).filter((a) => (rrtype === 'A' ? !a.includes(':') : rrtype === 'AAAA' ? a.includes(':') : false));
    if (answers.length === 0) throw Object.assign(new Error(`${rrtype} ${name}`), { code: name in table ? 'ENODATA' : 'ENOTFOUND' });
    return answers;
  };
}

const refused = { allowPrivateNetworks: false, what: 'webhook URL' };
const allowed = { allowPrivateNetworks: true, what: 'webhook URL' };

describe('address classes', () => {
  it.each([
    ['0.0.0.0', /unspecified/],
    ['10.1.2.3', /RFC 1918/],
    ['100.64.0.1', /CGNAT/],
    ['100.127.255.254', /CGNAT/],
    ['127.0.0.1', /loopback/],
    ['127.8.9.10', /loopback/],
    ['169.254.169.254', /link-local/],
    ['172.16.0.1', /RFC 1918/],
    ['172.31.255.255', /RFC 1918/],
    ['192.168.1.1', /RFC 1918/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::', /unspecified/],
    ['::1', /loopback/],
    ['fc00::1', /unique-local/],
    ['fd12:3456::1', /unique-local/],
    ['fe80::1', /link-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /loopback.*IPv6 form/],
    ['::ffff:7f00:1', /loopback.*IPv6 form/],
    ['::ffff:169.254.169.254', /link-local.*IPv6 form/],
    ['::ffff:a00:1', /RFC 1918.*IPv6 form/],
    ['64:ff9b::10.0.0.1', /RFC 1918.*IPv6 form/],
    ['::127.0.0.1', /loopback.*IPv6 form/],
    // Other IPv6 forms that carry an IPv4 address: 6to4 (2002:V4ADDR::/48), SIIT's IPv4-translated (::ffff:0:a.b.c.d).
    ['2002:7f00:1::', /loopback.*IPv6 form/],
    ['2002:a9fe:a9fe::1', /link-local.*IPv6 form/],
    ['::ffff:0:127.0.0.1', /loopback.*IPv6 form/],
    ['::ffff:0:a00:1', /RFC 1918.*IPv6 form/],
    // Local-use NAT64 (RFC 8215) translates to whatever IPv4 the operator's gateway reaches; a Teredo tunnel or the discard prefix is never a mail server.
    ['64:ff9b:1::8.8.8.8', /local-use NAT64/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['100::1', /discard/],
  ])('%s is not public', (ip, name) => {
    expect(nonPublicRange(ip)).toMatch(name);
  });

  it.each([
    '8.8.8.8',
    '93.184.215.14',
    '100.63.255.255',
    '100.128.0.1',
    '172.32.0.1',
    '11.0.0.1',
    '2606:4700::1111',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
    '2002:808:808::1',
    '2001:4860::8888',
  ])('%s is public', (ip) => {
    expect(nonPublicRange(ip)).toBeNull();
  });
});

describe('target URLs', () => {
  it.each([
    ['http://127.0.0.1:8080/hook', /loopback/],
    ['https://127.0.0.1/hook', /loopback/],
    ['http://localhost/hook', /loopback \(localhost\)/],
    ['https://api.localhost/hook', /loopback/],
    ['https://[::1]/hook', /loopback/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://10.0.0.5/hook', /RFC 1918/],
    ['https://192.168.0.10/hook', /RFC 1918/],
    ['https://[::ffff:127.0.0.1]/hook', /loopback.*IPv6 form/],
    ['https://[fd00::1]/hook', /unique-local/],
    ['http://hooks.example.com/hook', /must be https/],
    ['ftp://hooks.example.com/hook', /must be https/],
    ['https://user:pw@hooks.example.com/hook', /user name or password/],
    ['not a url', /is not a URL/],
  ])('%s is refused', (url, why) => {
    expect(() => checkTargetUrl(url, refused)).toThrow(RefusedError);
    expect(() => checkTargetUrl(url, refused)).toThrow(why);
  });

  it('allows private targets over http when the operator says so, and public https always', () => {
    expect(checkTargetUrl('http://127.0.0.1:8080/hook', allowed).host).toBe('127.0.0.1:8080');
    expect(checkTargetUrl('https://hooks.example.com/a?b=c', refused).toString()).toBe('https://hooks.example.com/a?b=c');
  });

  it('judges a host name by every address it resolves to', async () => {
    const resolver = tableResolver({
      'inside.example.com': ['10.0.0.7'],
      'mixed.example.com': ['93.184.215.14', '::1'],
      'public.example.com': ['93.184.215.14'],
      'v6.example.com': ['::ffff:192.168.1.1'],
    });
    await expect(resolvePublicTarget(new URL('https://inside.example.com/'), resolver, refused)).rejects.toThrow(
      /inside\.example\.com resolves to 10\.0\.0\.7/,
    );
    await expect(resolvePublicTarget(new URL('https://mixed.example.com/'), resolver, refused)).rejects.toThrow(/loopback/);
    await expect(resolvePublicTarget(new URL('https://v6.example.com/'), resolver, refused)).rejects.toThrow(/IPv6 form/);
    await expect(resolvePublicTarget(new URL('https://nowhere.example.com/'), resolver, refused)).rejects.toThrow(/has no address/);
    expect(await resolvePublicTarget(new URL('https://public.example.com/'), resolver, refused)).toMatchObject({ address: '93.184.215.14', family: 4 });
    expect(await resolvePublicTarget(new URL('https://inside.example.com/'), resolver, allowed)).toMatchObject({ address: '10.0.0.7' });
  });
});

describe('mail servers of accounts and inboxes', () => {
  const rules = mailServerRules(false, false, 'the SMTP server', 'host');
  const resolver = tableResolver({ 'smtp.example.com': ['93.184.215.14'], 'mixed.example.com': ['93.184.215.14', '10.9.9.9'] });

  it('are judged like webhook targets, naming relay.allowPrivateNetworks', async () => {
    expect(await resolvePublicHost('SMTP.example.com.', resolver, rules)).toEqual({ host: 'smtp.example.com', address: '93.184.215.14', family: 4 });
    await expect(resolvePublicHost('mixed.example.com', resolver, rules)).rejects.toThrow(
      /the SMTP server mixed\.example\.com is on a private \(RFC 1918.*resolves to 10\.9\.9\.9.*relay\.allowPrivateNetworks/,
    );
    for (const host of ['127.0.0.1', '[::1]', '169.254.169.254', 'localhost', 'db.localhost']) {
      await expect(resolvePublicHost(host, resolver, rules), host).rejects.toBeInstanceOf(RefusedError);
    }
    await expect(resolvePublicHost('smtp example.com', resolver, rules)).rejects.toMatchObject({ field: 'host', message: /not a host name/ });
    // Allowed: the operator set it, or relay.allowPrivateNetworks.
    const allowedHere = mailServerRules(false, true, 'the SMTP server');
    expect(await resolvePublicHost('localhost', resolver, allowedHere)).toMatchObject({ address: '127.0.0.1' });
    expect(await resolvePublicHost('mixed.example.com', resolver, mailServerRules(true, false, 'x'))).toMatchObject({ address: '93.184.215.14' });
  });

  it('are connected to at the address checked, the name kept for TLS', () => {
    const account = { host: 'smtp.example.com', port: 587, security: 'starttls', username: 'u', tlsCa: null } as unknown as Account;
    const options = transportOptions(
      account,
      { password: 'p' },
      { connectionTimeoutMs: 1000, pool: false, name: 'mx.test' },
      {
        host: 'smtp.example.com',
        address: '93.184.215.14',
        family: 4,
      },
    );
    expect(options).toMatchObject({ host: '93.184.215.14', port: 587, tls: { servername: 'smtp.example.com' } });
  });
});

async function store(): Promise<{ db: ReturnType<typeof openDatabase>; tenantId: number; keyring: () => NonNullable<ReturnType<typeof loadKeyring>> }> {
  const dir = tempDir();
  const db = openDatabase(dir);
  const ring = loadKeyring({ dataDir: dir, key: '', previousKey: '' }, { create: true })!;
  const tenantId = (
    await new TenantStore(SqliteSql.of(db), () => new Date()).add({
      slug: 'acme',
      domains: ['acme.com'],
      replyDomains: ['replies.acme.com'],
      forwardAddresses: [],
    })
  ).id;
  return { db, tenantId, keyring: () => ring };
}

const settings = {
  pollIntervalMs: 1000,
  timeoutMs: 2000,
  retryBaseMs: 5000,
  disableAfterHours: 120,
  rotationGraceHours: 24,
  allowPrivateNetworks: false,
  maxPerTenant: 2,
  signedAttachmentUrlsMinutes: 0,
};

const contexts: Context[] = [];
afterAll(() => contexts.forEach((ctx) => ctx.close()));

/** A context of its own (a fresh data dir) whose DNS answers from `resolver`, with tenant acme. */
async function contextWith(resolver: DnsResolver): Promise<{ ctx: Context; tenantId: number }> {
  const ctx = await createContext(testConfig(tempDir(), { webhooks: settings }), { resolver, log: createLogger('silent') });
  contexts.push(ctx);
  const tenantId = (await ctx.tenants.add({ slug: 'acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] })).id;
  return { ctx, tenantId };
}

describe('webhook endpoints', () => {
  it('are refused when added on a private target, and limited per tenant', async () => {
    const { ctx, tenantId } = await contextWith(tableResolver({ 'hooks.example.com': ['93.184.215.14'], 'internal.example.com': ['192.168.1.20'] }));
    const add = (url: string) => addWebhook(ctx, EVERY_TENANT, { tenant: 'acme', url, events: null });
    await expect(add('http://169.254.169.254/latest')).rejects.toThrow(/link-local/);
    await expect(add('https://internal.example.com/hook')).rejects.toThrow(/resolves to 192\.168\.1\.20/);
    await add('https://hooks.example.com/one');
    await add('https://hooks.example.com/two');
    await expect(add('https://hooks.example.com/three')).rejects.toThrow(/already has 2 webhook endpoints.*webhooks\.maxPerTenant/);
    expect(await ctx.webhooks.list([tenantId])).toHaveLength(2);
  });

  it('are checked again at delivery against the address connected to: DNS that turns private after the add gets nothing', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const table: Record<string, string[]> = { 'hooks.example.com': ['93.184.215.14'] };
    const resolver = tableResolver(table);
    const { ctx, tenantId } = await contextWith(resolver);
    const port = new URL(receiver.url).port;
    const { webhook } = await addWebhook(ctx, EVERY_TENANT, { tenant: 'acme', url: `https://hooks.example.com:${port}/hooks`, events: null });
    // Rebinding: the name now points at the server's own loopback, where the receiver listens.
    table['hooks.example.com'] = ['127.0.0.1'];
    const dispatcher = new WebhookDispatcher({
      repositories: ctx,
      keyring: ctx.keyring,
      settings,
      resolver,
      log: createLogger('silent'),
      nowMs: Date.now,
      publicUrl: '',
    });
    await ctx.events.record(tenantId, 'message.unassigned', 'M1', {}, new Date());
    expect(await dispatcher.runOnce()).toBe(1);
    expect(receiver.attempts).toBe(0);
    const row = ctx.db.prepare('SELECT last_error FROM webhook_deliveries WHERE webhook_id = ?').get(webhook.id) as { last_error: string };
    expect(row.last_error).toMatch(/^refused: .*loopback/);
  });

  it('connect to the address that was resolved and checked, with the host name kept in the request', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const { db, tenantId, keyring } = await store();
    // hooks.internal.test exists only in this resolver: system DNS would not find it.
    const resolver = tableResolver({ 'hooks.internal.test': ['127.0.0.1'] });
    const secret = newWebhookSecret();
    receiver.secrets.push(secret);
    await new WebhookStore(SqliteSql.of(db)).add(
      tenantId,
      `http://hooks.internal.test:${new URL(receiver.url).port}/hooks`,
      null,
      keyring().seal(secret),
      new Date().toISOString(),
    );
    const dispatcher = new WebhookDispatcher({
      repositories: createRepositories(db, { dataDir: '', now: () => new Date() }),
      keyring,
      settings: { ...settings, allowPrivateNetworks: true },
      resolver,
      log: createLogger('silent'),
      nowMs: Date.now,
      publicUrl: '',
    });
    await new EventStore(SqliteSql.of(db)).record(tenantId, 'message.unassigned', 'M2', {}, new Date());
    expect(await dispatcher.runOnce()).toBe(1);
    expect(receiver.events).toHaveLength(1);
    expect(receiver.badSignatures).toEqual([]);
  });
});
