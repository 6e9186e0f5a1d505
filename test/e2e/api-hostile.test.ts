// The API against a hostile tenant: a tenant token (a tenant admin gone bad,
// or a stolen token) tries to reach past its tenant, to aim mailroom's
// connections and to tie up the server, on both backends. Each case here was a
// hole once: a private address hidden in an IPv6 form the check did not know,
// a trusted CA swapped in under a stored password, a refusal that named the
// other tenant holding an address, and background checks and test emails
// started without limit (each a send and minutes of polling).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, createPlatformToken, EVERY_TENANT } from '../../src/operations/index.ts';
import { ProblemSchema } from '../../src/http/schemas.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { BACKENDS, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

type Answer = { status: number; body: Record<string, unknown> };

const CA = '-----BEGIN CERTIFICATE-----\nMIIBattacker\n-----END CERTIFICATE-----\n';

// One server at a time: each backend's suite starts its own.
let t: TestServer;
let base: string;
let platform: string;
let globex: string;
let provider: Provider;

async function call(method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function problem(answer: Answer, status: number): string {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  return ProblemSchema.parse(answer.body).detail ?? '';
}

const account = (name: string, host: string) => ({
  name,
  provider: 'custom',
  host,
  port: 587,
  security: 'starttls',
  username: 'recruiter@globex.com',
  password: 'app-password-1',
  from: 'recruiter@globex.com',
});

describe.each(BACKENDS)('a hostile tenant token on %s', (backend) => {
  beforeAll(async () => {
    t = await startTestServer({ backend, overrides: { relay: { allowPrivateNetworks: false }, checks: { forwardingTimeoutMs: 3000 } } });
    provider = await startProvider({ secure: false, users: { 'recruiter@globex.com': 'app-password-1' } });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    platform = (await createPlatformToken(t.ctx, EVERY_TENANT, 'platform')).token;
    globex = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('globex'))!.id, 'ats', new Date().toISOString())).token;
  });
  afterAll(async () => {
    await provider.close();
    await t.cleanup();
  });

  it.each([
    ['2002:7f00:1::', /loopback \(127\/8\), in IPv6 form/],
    ['2002:a9fe:a9fe::', /link-local.*in IPv6 form/],
    ['::ffff:0:127.0.0.1', /loopback \(127\/8\), in IPv6 form/],
    ['64:ff9b:1::a00:1', /local-use NAT64/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
  ])('cannot aim an account at a private address spelled %s', async (host, range) => {
    const detail = problem(await call('POST', '/v1/accounts', globex, account(`at-${host}`, host)), 422);
    expect(detail).toMatch(range);
    expect(detail).toMatch(/relay\.allowPrivateNetworks/);
    expect((await t.ctx.accounts.list('globex')).map((a) => a.host)).not.toContain(host);
  });

  it('cannot make an account trust its own CA without the password, so the stored one reaches no one but the server it was typed for', async () => {
    const created = await call('POST', '/v1/accounts', globex, account('main', '203.0.113.25'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body['id'] as number;
    const sealed = await t.ctx.accounts.sealedSecret(id);
    expect(problem(await call('PATCH', `/v1/accounts/${id}`, globex, { tlsCa: CA }), 400)).toMatch(/trusted CA needs the password again/);
    expect((await t.ctx.accounts.get(id))?.tlsCa).toBeNull();
    expect(await t.ctx.accounts.sealedSecret(id)).toBe(sealed);
    // With the password, or from the platform with it: the CA is the one the password is now typed for.
    const withPassword = await call('PATCH', `/v1/accounts/${id}`, globex, { tlsCa: CA, password: 'app-password-2' });
    expect(withPassword.status, JSON.stringify(withPassword.body)).toBe(200);
    expect(withPassword.body['tlsCa']).toBe('custom');
    // The same CA again (a form sent back with CRLF line ends), or none (the public CAs), needs nothing.
    expect((await call('PATCH', `/v1/accounts/${id}`, globex, { tlsCa: CA.replace(/\n/g, '\r\n'), fromName: 'Globex' })).status).toBe(200);
    expect((await call('PATCH', `/v1/accounts/${id}`, globex, { tlsCa: null })).status).toBe(200);
    expect((await t.ctx.accounts.get(id))?.tlsCa).toBeNull();
  });

  it('learns that an address is taken, never which tenant has it; the platform token is told', async () => {
    const detail = problem(await call('PATCH', '/v1/tenants/globex', globex, { replyDomains: ['replies.globex.com', 'replies.acme.com'] }), 400);
    expect(detail).toMatch(/replies\.acme\.com is already routed to another tenant/);
    expect(detail).not.toMatch(/acme"/);
    const sub = problem(
      await call('POST', '/v1/tenants', globex, {
        slug: 'globex-uk',
        parent: 'globex',
        domains: ['globex.co.uk'],
        forwardAddresses: ['acme-jobs@in.mailroom.test'],
      }),
      400,
    );
    expect(sub).toMatch(/acme-jobs@in\.mailroom\.test is already routed to another tenant/);
    expect(problem(await call('PATCH', '/v1/tenants/globex', platform, { replyDomains: ['replies.globex.com', 'replies.acme.com'] }), 400)).toMatch(
      /already routed to tenant "acme"/,
    );
    expect((await t.ctx.tenants.get('globex'))?.replyDomains).toEqual(['replies.globex.com']);
  });
  it('cannot pile up background checks: one forwarding test at a time per tenant, a lost one does not hold the next', async () => {
    const now = Date.now();
    const globexId = (await t.ctx.tenants.get('globex'))!.id;
    // A check still running (its forwarding tests wait minutes for mail, scanning for it): another is refused, naming the one to poll.
    await t.ctx.tenantChecks.start('chk_running', globexId, new Date(now).toISOString(), new Date(now + 600_000).toISOString());
    const refused = await call('POST', '/v1/tenants/globex/check', globex, { sendTests: true, inboxes: ['a@victim.example', 'b@victim.example'] });
    expect(problem(refused, 409)).toMatch(/still running.*\/v1\/tenants\/globex\/checks\/chk_running/);
    // The plain check (no mail sent, nothing to wait for) still answers at once.
    expect((await call('POST', '/v1/tenants/globex/check', globex)).status).toBe(200);
    // Past its deadline it was lost with its node: a new one starts.
    await t.ctx.tenantChecks.finish('chk_running', { error: 'done with' }, new Date(now).toISOString());
    await t.ctx.tenantChecks.start('chk_lost', globexId, new Date(now - 700_000).toISOString(), new Date(now - 100_000).toISOString());
    const started = await call('POST', '/v1/tenants/globex/check', globex, { sendTests: true });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    // Another tenant's running check holds nothing of this one's.
    expect((await call('POST', '/v1/tenants/acme/check', platform, { sendTests: true })).status).toBe(202);
  });
  it('cannot pile up test emails: one at a time per account, each a send and minutes of waiting', async () => {
    // The operator put this one on the stand-in provider (loopback); the test email then waits for the mail to come back.
    const { account: stand } = await addAccount(t.ctx, EVERY_TENANT, {
      ...account('stand-in', '127.0.0.1'),
      port: provider.port,
      tenant: 'globex',
      tlsCa: provider.ca,
      credentials: { password: 'app-password-1' },
    });
    const sentBefore = provider.received.length;
    expect((await call('POST', `/v1/accounts/${stand.id}/test-email`, globex)).status).toBe(202);
    const again = await Promise.all([1, 2, 3].map(() => call('POST', `/v1/accounts/${stand.id}/test-email`, globex)));
    for (const answer of again) expect(problem(answer, 409)).toMatch(/test email of account \d+ is still on its way/);
    // It comes back to nobody (the stand-in keeps it): failing after the wait; then the next may start.
    await waitFor(async () => (await t.ctx.accounts.get(stand.id))?.status === 'failing', 10_000, 'the test email given up');
    expect(provider.received.length - sentBefore).toBe(1);
    expect((await call('POST', `/v1/accounts/${stand.id}/test-email`, globex)).status).toBe(202);
  });
});
