// The servers a tenant names for its sending accounts and inboxes reach only
// the public internet: refused when saved (console form, operations), when an
// edit moves them, and again at every connection (connection test, relay
// send, inbox test), since a name may resolve elsewhere later. An edit that
// moves an account needs its credential again. The operator at the command
// line, or relay.allowPrivateNetworks, may allow private servers. A test run
// by anyone but the operator says only the stage and the reply code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsResolver } from '../../src/dns/index.ts';
import { InvalidError, RefusedError } from '../../src/errors.ts';
import {
  addAccount,
  addConsoleUser,
  addInbox,
  checkTenantSetup,
  completeSetup,
  editAccount,
  editInbox,
  EVERY_TENANT,
  signIn,
  testAccount,
  testInbox,
  type Reach,
} from '../../src/operations/index.ts';
import { composeOutbound } from '../../src/relay/compose.ts';
import { Relay } from '../../src/relay/sender.ts';
import { seedTenants, startTestServer, tempDir, zoneFile, type TestServer } from '../helpers/server.ts';
import { contextOn } from '../helpers/backends.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { runCliAsync } from '../helpers/process.ts';
import { addTestAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple';
// smtp.customer.example is public (TEST-NET-3); the internal names resolve into private networks.
const ZONE = {
  'smtp.customer.example': { A: ['203.0.113.25'] },
  'smtp.internal.example': { A: ['10.1.2.3'] },
  'imap.internal.example': { A: ['192.168.1.9'] },
};

let t: TestServer;
let base: string;
let provider: Provider;
let admin: Reach;
let cookie: string;
let csrf: string;

/** A console form POST as the signed-in acme admin. */
async function post(path: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: `mailroom_session=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, csrf }).toString(),
  });
  return { status: response.status, text: await response.text() };
}

const accountForm = (name: string, host: string, port: number): Record<string, string> => ({
  tenant: 'acme',
  name,
  provider: 'custom',
  host,
  port: String(port),
  security: 'starttls',
  username: 'recruiter@acme.com',
  password: 'app-password-1',
  from: 'recruiter@acme.com',
  replyTo: 'careers',
});

beforeAll(async () => {
  t = await startTestServer({ overrides: { relay: { allowPrivateNetworks: false }, dns: { zoneFile: zoneFile(tempDir(), ZONE) } } });
  base = `http://127.0.0.1:${t.server.http!.port}`;
  provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' } });
  const { setupToken } = await addConsoleUser(t.ctx, EVERY_TENANT, { tenant: 'acme', email: 'ada@acme.com', role: 'admin' });
  await completeSetup(t.ctx, setupToken, PASSWORD);
  const session = (await signIn(t.ctx, 'ada@acme.com', PASSWORD))!;
  cookie = session.sessionId;
  csrf = session.signedIn.csrf;
  admin = session.signedIn.reach;
});
afterAll(async () => {
  await provider.close();
  await t.cleanup();
});

describe('servers of accounts and inboxes', () => {
  it('the console refuses an account on a private server, naming the rule on the form; a public one is added', async () => {
    const loopback = await post('/console/accounts/new', accountForm('loop', '127.0.0.1', provider.port));
    expect(loopback.status).toBe(400);
    expect(loopback.text).toMatch(/the SMTP server 127\.0\.0\.1 is on a loopback \(127\/8\) address.*relay\.allowPrivateNetworks/);
    const internal = await post('/console/accounts/new', accountForm('internal', 'smtp.internal.example', 587));
    expect(internal.status).toBe(400);
    expect(internal.text).toMatch(/smtp\.internal\.example resolves to 10\.1\.2\.3/);
    expect((await t.ctx.accounts.list('acme')).map((a) => a.name)).toEqual([]);
    const added = await post('/console/accounts/new', accountForm('customer', 'smtp.customer.example', 587));
    expect(added.status).toBe(303);
    expect((await t.ctx.accounts.list('acme')).find((a) => a.name === 'customer')).toMatchObject({ host: 'smtp.customer.example', privateHostAllowed: false });
  });

  it('an edit that moves the server, port, security or user needs the password again; a private server is refused; so does a new trusted CA', async () => {
    const account = (await t.ctx.accounts.list('acme')).find((a) => a.name === 'customer')!;
    const sealed = await t.ctx.accounts.sealedSecret(account.id);
    const form = {
      host: 'smtp.customer.example',
      port: '587',
      security: 'starttls',
      username: 'recruiter@acme.com',
      from: 'recruiter@acme.com',
      replyTo: 'careers',
      delayMs: '0',
    };
    for (const moved of [{ host: '203.0.113.26' }, { port: '2525' }, { security: 'tls' }, { username: 'other@acme.com' }]) {
      const refused = await post(`/console/accounts/${account.id}/edit`, { ...form, ...moved });
      expect(refused.status, JSON.stringify(moved)).toBe(400);
      expect(refused.text).toMatch(/needs the password again/);
    }
    const loopback = await post(`/console/accounts/${account.id}/edit`, { ...form, host: '127.0.0.1', password: 'new-password' });
    expect(loopback.status).toBe(400);
    expect(loopback.text).toMatch(/loopback \(127\/8\) address.*relay\.allowPrivateNetworks/);
    expect(await t.ctx.accounts.get(account.id)).toMatchObject({ host: 'smtp.customer.example', port: 587 });
    expect(await t.ctx.accounts.sealedSecret(account.id)).toBe(sealed);
    // What is not where it connects changes without the password; a private CA decides which server passes for this one, so it needs the password too.
    const named = await post(`/console/accounts/${account.id}/edit`, { ...form, fromName: 'Acme Careers' });
    expect(named.status).toBe(303);
    expect(await t.ctx.accounts.sealedSecret(account.id)).toBe(sealed);
    const caOnly = await post(`/console/accounts/${account.id}/edit`, { ...form, fromName: 'Acme Careers', tlsCa: provider.ca });
    expect(caOnly.status).toBe(400);
    expect(caOnly.text).toMatch(/changing the trusted CA needs the password again/);
    const saved = await post(`/console/accounts/${account.id}/edit`, { ...form, fromName: 'Acme Careers', tlsCa: provider.ca, password: 'app-password-1' });
    expect(saved.status).toBe(303);
    expect(await t.ctx.accounts.get(account.id)).toMatchObject({ fromName: 'Acme Careers', tlsCa: provider.ca.trim() });
    // The form sent back as it shows it (the CA in place, CRLF line ends) needs nothing.
    const resent = await post(`/console/accounts/${account.id}/edit`, { ...form, fromName: 'Acme', tlsCa: provider.ca.replace(/\n/g, '\r\n') });
    expect(resent.status).toBe(303);
  });

  it('an OAuth2 account moved to another server needs a new sign-in', async () => {
    const oauth = await addTestAccount(t.ctx, provider, {
      name: 'oauth',
      oauth2: { clientId: 'c', clientSecret: 's', refreshToken: 'r', tokenUrl: 'https://oauth2.googleapis.com/token' },
    });
    const edit = {
      host: '203.0.113.26',
      port: oauth.port,
      security: 'starttls',
      username: oauth.username,
      from: oauth.fromAddress,
      fromName: null,
      replyTo: 'careers',
      delayMs: 0,
    };
    const err = await editAccount(t.ctx, admin, oauth.id, edit).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect(err).toMatchObject({ field: 'password', message: expect.stringMatching(/needs a new sign-in with the provider/) });
  });

  it('a connection test by a tenant admin is refused before connecting to a private server; the operator allowed one, and moving it loses that', async () => {
    // Saved when the rule did not hold (an older version, or the setting since turned off): refused at the connection.
    const stale = await addTestAccount(t.ctx, provider, { name: 'stale' });
    const before = provider.received.length;
    const { result } = await testAccount(t.ctx, admin, stale.id);
    expect(result).toMatchObject({
      ok: false,
      stage: 'resolve',
      error: expect.stringMatching(/127\.0\.0\.1 is on a loopback \(127\/8\) address.*relay\.allowPrivateNetworks/),
    });
    expect(result.stages).toHaveLength(1);
    expect(provider.received.length).toBe(before);
    // The operator at the command line sets a private server: allowed for this account.
    const cli = await runCliAsync(
      [
        ...['accounts', 'add', '--tenant', 'acme', '--name', 'relay-internal', '--host', '127.0.0.1', '--port', String(provider.port)],
        ...['--security', 'starttls', '--user', 'recruiter@acme.com', '--password-env', 'SMTP_PASSWORD', '--from', 'recruiter@acme.com', '--json'],
      ],
      { ...t.cliEnv, SMTP_PASSWORD: 'wrong-password' },
    );
    expect(cli.stderr).toBe('');
    const { id } = JSON.parse(cli.stdout) as { id: number };
    expect(await t.ctx.accounts.get(id)).toMatchObject({ host: '127.0.0.1', privateHostAllowed: true });
    // A tenant admin may test it; the answer says the stage and the reply code, not the server's words.
    const tested = (await testAccount(t.ctx, admin, id)).result;
    expect(tested).toMatchObject({ ok: false, stage: 'tls' });
    expect(tested.error).not.toMatch(/127\.0\.0\.1|certificate chain/);
    const operator = (await testAccount(t.ctx, EVERY_TENANT, id)).result;
    expect(operator.stage).toBe('tls');
    expect(operator.error).toMatch(/certificate/);
    // The operator trusts the stand-in's CA and fixes the password; the admin then sees the refusal as a code only.
    const account = (await t.ctx.accounts.get(id))!;
    const edit = {
      host: '127.0.0.1',
      port: provider.port,
      security: 'starttls',
      username: 'recruiter@acme.com',
      from: 'recruiter@acme.com',
      fromName: null,
      replyTo: 'careers',
      delayMs: 0,
    };
    await editAccount(t.ctx, EVERY_TENANT, account.id, { ...edit, tlsCa: provider.ca, password: 'wrong-again' });
    const refusedLogin = (await testAccount(t.ctx, admin, id)).result;
    expect(refusedLogin).toMatchObject({ ok: false, stage: 'auth', error: expect.stringMatching(/^the server answered 535\b/) });
    expect(refusedLogin.error).not.toMatch(/Username|Password/);
    // A tenant admin moving it (another port) is held to the public rule: the operator's permission does not follow.
    await expect(editAccount(t.ctx, admin, account.id, { ...edit, port: provider.port + 1, password: 'app-password-1' })).rejects.toThrow(RefusedError);
    // Anything else is edited and the permission stays.
    await editAccount(t.ctx, admin, account.id, { ...edit, password: 'app-password-1' });
    expect(await t.ctx.accounts.get(id)).toMatchObject({ privateHostAllowed: true });
    expect((await testAccount(t.ctx, admin, id)).result).toMatchObject({ ok: true });
  }, 60_000);

  it('the relay refuses at connect time an account whose server now resolves to a private address', async () => {
    const account = await addAccount(t.ctx, admin, { ...accountFields('moved'), host: 'smtp.customer.example', port: provider.port });
    // Later the name points into the operator's network (a DNS change, or rebinding).
    const table: Record<string, string> = { 'smtp.customer.example': '127.0.0.1' };
    const resolver: DnsResolver = async (name, rrtype) => {
      if (rrtype === 'A' && table[name]) return [table[name]];
      throw Object.assign(new Error(`${rrtype} ${name}`), { code: 'ENODATA' });
    };
    const message = await t.ctx.transaction(async (tx) => {
      const composed = await composeOutbound(
        { repositories: tx, keyring: t.ctx.keyring(), now: new Date() },
        { tenant: 'acme', accountId: account.account.id, to: 'jane@candidate.example', subject: 'Hello', text: 'x' },
      );
      // Ours to send, not the server relay's.
      await tx.outbound.claim(composed.id, Date.now(), 60_000);
      return composed;
    });
    const relay = new Relay({
      repositories: t.ctx,
      keyring: t.ctx.keyring,
      settings: t.ctx.config.relay,
      hostname: 'mx.mailroom.test',
      log: t.ctx.log,
      nowMs: Date.now,
      resolver,
    });
    const before = provider.received.length;
    const sent = await relay.sendClaimed(account.account, message);
    await relay.stop();
    expect(sent).toMatchObject({
      outcome: 'deferred',
      reply: expect.stringMatching(/smtp\.customer\.example resolves to 127\.0\.0\.1.*relay\.allowPrivateNetworks/),
    });
    expect(provider.received.length).toBe(before);
    expect(await t.ctx.outbound.get(message.id)).toMatchObject({ status: 'deferred' });
    expect(await t.ctx.accounts.get(account.account.id)).toMatchObject({ status: 'failing' });
  });

  it('inboxes: a private IMAP server is refused when added or moved by a tenant admin, and at the connection', async () => {
    const inbox = { tenant: 'acme', address: 'jobs@acme.com', host: 'imap.internal.example', credentials: { password: 'x' } };
    await expect(addInbox(t.ctx, admin, inbox)).rejects.toThrow(/imap\.internal\.example resolves to 192\.168\.1\.9.*relay\.allowPrivateNetworks/);
    const added = await addInbox(t.ctx, admin, { ...inbox, host: 'smtp.customer.example' });
    await expect(editInbox(t.ctx, admin, added.id, { host: '203.0.113.30' })).rejects.toThrow(/needs the password \(or OAuth2 grant\) again/);
    await expect(editInbox(t.ctx, admin, added.id, { host: '127.0.0.1', credentials: { password: 'y' } })).rejects.toThrow(RefusedError);
    expect(await editInbox(t.ctx, admin, added.id, { folder: 'Jobs' })).toMatchObject({ folder: 'Jobs', host: 'smtp.customer.example' });
    // Saved when the rule did not hold: refused at the connection.
    const stale = await t.ctx.inboxes.add({
      ...(await t.ctx.inboxes.get(added.id))!,
      address: 'hr@acme.com',
      host: '127.0.0.1',
      sealedSecret: t.ctx.keyring().seal('{"password":"x"}'),
    });
    const { result } = await testInbox(t.ctx, admin, stale.id);
    expect(result).toMatchObject({
      ok: false,
      stage: 'login',
      error: expect.stringMatching(/the IMAP server 127\.0\.0\.1 is on a loopback \(127\/8\) address/),
    });
    // The IMAP server of an account's Sent copies too.
    await expect(
      addAccount(t.ctx, admin, { ...accountFields('with-sent'), host: 'smtp.customer.example', sentCopy: { host: 'imap.internal.example' } }),
    ).rejects.toMatchObject({ field: 'imapHost', message: expect.stringMatching(/the IMAP server imap\.internal\.example .*relay\.allowPrivateNetworks/) });
    // The operator may set one.
    expect(await addInbox(t.ctx, EVERY_TENANT, { ...inbox, address: 'ops@acme.com' })).toMatchObject({
      host: 'imap.internal.example',
      privateHostAllowed: true,
    });
  });

  it("the tenant check tells a tenant admin only the stage and the reply code of an account's test", async () => {
    const globex = (await t.ctx.tenants.get('globex'))!;
    const { account } = await addAccount(t.ctx, EVERY_TENANT, {
      ...accountFields('globex-internal'),
      tenant: 'globex',
      host: '127.0.0.1',
      port: provider.port,
      tlsCa: provider.ca,
      credentials: { password: 'wrong' },
    });
    const quiet = { sendTests: false, inboxes: [], progress: () => undefined };
    const found = async (reach: Reach): Promise<string | undefined> =>
      (await checkTenantSetup(t.ctx, reach, 'globex', quiet)).report.checks.find((c) => c.subject === `account ${account.id} (globex-internal)`)?.found;
    const asAdmin = await found({ tenantIds: [globex.id] });
    expect(asAdmin).toMatch(/^auth failed: the server answered 535\b/);
    expect(asAdmin).not.toMatch(/Username|Password/);
    expect(await found(EVERY_TENANT)).toMatch(/Username and Password not accepted/);
  }, 60_000);

  it('relay.allowPrivateNetworks allows private servers for every caller', async () => {
    const ctx = await contextOn('sqlite', { relay: { allowPrivateNetworks: true } });
    try {
      await seedTenants(ctx);
      const reach = { tenantIds: [(await ctx.tenants.get('acme'))!.id] };
      const { account } = await addAccount(ctx, reach, { ...accountFields('internal'), host: '127.0.0.1', port: provider.port, tlsCa: provider.ca });
      expect(account).toMatchObject({ host: '127.0.0.1', privateHostAllowed: false });
      expect((await testAccount(ctx, reach, account.id)).result).toMatchObject({ ok: true });
    } finally {
      await ctx.close();
    }
  });
});

function accountFields(name: string) {
  return {
    tenant: 'acme',
    name,
    provider: 'custom',
    security: 'starttls',
    username: 'recruiter@acme.com',
    credentials: { password: 'app-password-1' },
    from: 'recruiter@acme.com',
    replyTo: 'careers',
  };
}
