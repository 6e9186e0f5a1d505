// Sending accounts and inboxes over the HTTP API, through the operations the
// console and the CLI use: added, read, edited, made the default, removed, and
// an account proven by its test email coming back through our MX (Pending to
// Active, announced as account.status_changed). Passwords are write-only;
// servers on private networks are refused with 422 naming the rule; moving an
// account or inbox needs the password again; another tenant's token finds
// nothing (404). On both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from '@hono/zod-openapi';
import { AccountSchema, InboxSchema, ProblemSchema } from '../../src/http/schemas.ts';
import { addAccount, EVERY_TENANT } from '../../src/operations/index.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { BACKENDS, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';

const SECRET = 'app-password-never-answered';
// smtp.customer.example is public (TEST-NET-3); the internal names resolve into private networks.
const ZONE = {
  'smtp.customer.example': { A: ['203.0.113.25'] },
  'imap.customer.example': { A: ['203.0.113.26'] },
  'smtp.internal.example': { A: ['10.1.2.3'] },
  'imap.internal.example': { A: ['192.168.1.9'] },
};

describe.each(BACKENDS)('accounts and inboxes over the API on %s', (backend) => {
  let t: TestServer;
  let base: string;
  let acme: string;
  let globex: string;
  let provider: Provider;

  beforeAll(async () => {
    t = await startTestServer({ backend, overrides: { relay: { allowPrivateNetworks: false }, dns: { zoneFile: zoneFile(tempDir(), ZONE) } } });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    const now = new Date().toISOString();
    acme = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('acme'))!.id, 'ats', now)).token;
    globex = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('globex'))!.id, 'ats', now)).token;
    // The provider hands mail for the reply domain back to our MX, as the internet would.
    provider = await startProvider({
      secure: false,
      users: { 'recruiter@acme.com': 'app-password-1' },
      deliverTo: (to) => (to.every((a) => a.endsWith('@replies.acme.com')) ? t.port : null),
    });
  });
  afterAll(async () => {
    await provider.close();
    await t.cleanup();
  });

  async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown; text: string }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, text, body: text ? (JSON.parse(text) as unknown) : null };
  }

  function valid<T extends z.ZodType>(schema: T, answer: { status: number; body: unknown; text: string }, status: number): z.infer<T> {
    expect(answer.status, answer.text).toBe(status);
    expect(answer.text).not.toContain(SECRET);
    const result = schema.safeParse(answer.body);
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
    return result.data as z.infer<T>;
  }

  const account = {
    name: 'customer',
    provider: 'custom',
    host: 'smtp.customer.example',
    port: 587,
    security: 'starttls',
    username: 'recruiter@acme.com',
    password: SECRET,
    from: 'recruiter@acme.com',
    fromName: 'Acme Recruiting',
    replyTo: 'careers',
    delayMs: 0,
  };

  it('describes every route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const methods = (path: string): string[] => Object.keys(doc.paths[path] ?? {}).sort();
    expect(methods('/v1/accounts')).toEqual(['get', 'post']);
    expect(methods('/v1/accounts/{id}')).toEqual(['delete', 'get', 'patch']);
    expect(methods('/v1/accounts/{id}/default')).toEqual(['post']);
    expect(methods('/v1/accounts/{id}/test-email')).toEqual(['post']);
    expect(methods('/v1/inboxes')).toEqual(['get', 'post']);
    expect(methods('/v1/inboxes/{id}')).toEqual(['delete', 'get', 'patch']);
  });

  it('adds, reads, edits, makes default and removes an account; the password is never answered', async () => {
    const added = valid(AccountSchema, await call('POST', '/v1/accounts', acme, account), 201);
    expect(added).toMatchObject({ tenant: 'acme', name: 'customer', host: 'smtp.customer.example', status: 'pending', password: '********' });
    valid(AccountSchema, await call('GET', `/v1/accounts/${added.id}`, acme), 200);
    expect((await call('GET', '/v1/accounts', acme)).text).not.toContain(SECRET);
    // A subcompany's account, named by its slug; another tenant's slug is not found.
    await t.ctx.tenants.add({ slug: 'acme-de', parent: 'acme', domains: ['acme.de'], replyDomains: ['antworten.acme.de'], forwardAddresses: [] });
    expect(valid(AccountSchema, await call('POST', '/v1/accounts', acme, { ...account, tenant: 'acme-de' }), 201).tenant).toBe('acme-de');
    expect((await call('POST', '/v1/accounts', acme, { ...account, tenant: 'globex', name: 'x' })).status).toBe(404);
    expect((await call('POST', '/v1/accounts', acme, account)).status).toBe(409);

    // Moving it needs the password again; the password alone is not enough for a private server.
    const moved = await call('PATCH', `/v1/accounts/${added.id}`, acme, { port: 465, security: 'tls' });
    expect(moved.status).toBe(400);
    expect(ProblemSchema.parse(moved.body).errors?.[0]).toMatchObject({ path: 'password', message: expect.stringMatching(/password again/) });
    const internal = await call('PATCH', `/v1/accounts/${added.id}`, acme, { host: 'smtp.internal.example', password: 'new-one' });
    expect(internal.status).toBe(422);
    expect(ProblemSchema.parse(internal.body).detail).toMatch(/smtp\.internal\.example resolves to 10\.1\.2\.3.*relay\.allowPrivateNetworks/);
    const edited = valid(AccountSchema, await call('PATCH', `/v1/accounts/${added.id}`, acme, { fromName: 'Acme Careers', delayMs: 2000 }), 200);
    expect(edited).toMatchObject({ fromName: 'Acme Careers', delayMs: 2000, host: 'smtp.customer.example', status: 'pending', tlsCa: null });
    const withCa = valid(AccountSchema, await call('PATCH', `/v1/accounts/${added.id}`, acme, { tlsCa: provider.ca, port: 2525, password: 'another' }), 200);
    expect(withCa).toMatchObject({ tlsCa: 'custom', port: 2525 });

    expect(valid(AccountSchema, await call('POST', `/v1/accounts/${added.id}/default`, acme), 200)).toMatchObject({ default: true });
    expect((await call('DELETE', `/v1/accounts/${added.id}`, acme)).status).toBe(204);
    expect((await call('GET', `/v1/accounts/${added.id}`, acme)).status).toBe(404);
  });

  it('refuses a private server with 422 naming the rule, and adds nothing', async () => {
    for (const host of ['127.0.0.1', '169.254.169.254', 'smtp.internal.example', 'localhost']) {
      const refused = await call('POST', '/v1/accounts', acme, { ...account, name: `private-${host}`, host });
      expect(refused.status, host).toBe(422);
      const problem = ProblemSchema.parse(refused.body);
      expect(problem.type).toBe('urn:mailroom:problem:refused');
      expect(problem.detail).toMatch(/only public internet addresses are allowed.*relay\.allowPrivateNetworks/);
      expect(problem.errors?.[0]?.path).toBe('host');
    }
    expect((await t.ctx.accounts.list('acme')).filter((a) => a.name.startsWith('private-'))).toEqual([]);
  });

  it("another tenant's token finds none of its accounts", async () => {
    const own = valid(AccountSchema, await call('POST', '/v1/accounts', acme, { ...account, name: 'acme-only' }), 201);
    for (const [method, path, body] of [
      ['GET', `/v1/accounts/${own.id}`],
      ['PATCH', `/v1/accounts/${own.id}`, { fromName: 'x' }],
      ['DELETE', `/v1/accounts/${own.id}`],
      ['POST', `/v1/accounts/${own.id}/default`],
      ['POST', `/v1/accounts/${own.id}/test-email`],
    ] as const) {
      expect((await call(method, path, globex, body)).status, `${method} ${path}`).toBe(404);
    }
    expect(await t.ctx.accounts.get(own.id)).toMatchObject({ fromName: 'Acme Recruiting' });
  });

  it('sends the test email (202); the account turns active when it comes back through our MX, announced as account.status_changed', async () => {
    // The stand-in provider is on loopback: an account the operator set up.
    const { password: _unused, ...fields } = account;
    const { account: made } = await addAccount(t.ctx, EVERY_TENANT, {
      ...fields,
      tenant: 'acme',
      name: 'round-trip',
      host: '127.0.0.1',
      port: provider.port,
      security: 'starttls',
      tlsCa: provider.ca,
      credentials: { password: 'app-password-1' },
    });
    const started = await call('POST', `/v1/accounts/${made.id}/test-email`, acme);
    expect(started.status, started.text).toBe(202);
    expect(started.body).toMatchObject({ accountId: made.id, status: 'pending' });
    await waitFor(async () => (await t.ctx.accounts.get(made.id))?.status === 'active', 30_000, 'the account to turn active');
    expect(valid(AccountSchema, await call('GET', `/v1/accounts/${made.id}`, acme), 200).status).toBe('active');
    const events = await t.ctx.events.list({ tenantIds: [made.tenantId], limit: 1000 });
    expect(events.filter((e) => e.type === 'account.status_changed').map((e) => e.data)).toContainEqual(
      expect.objectContaining({ account: expect.objectContaining({ id: made.id, status: 'active' }) }),
    );
  }, 60_000);

  it('adds and edits an inbox with the same rules', async () => {
    const inbox = { address: 'jobs@acme.com', host: 'imap.customer.example', password: SECRET };
    const added = valid(InboxSchema, await call('POST', '/v1/inboxes', acme, inbox), 201);
    expect(added).toMatchObject({ tenant: 'acme', host: 'imap.customer.example', port: 993, status: 'pending', password: '********' });
    const refused = await call('POST', '/v1/inboxes', acme, { ...inbox, address: 'hr@acme.com', host: 'imap.internal.example' });
    expect(refused.status).toBe(422);
    expect(ProblemSchema.parse(refused.body)).toMatchObject({ detail: expect.stringMatching(/relay\.allowPrivateNetworks/), errors: [{ path: 'imapHost' }] });
    const moved = await call('PATCH', `/v1/inboxes/${added.id}`, acme, { host: 'smtp.customer.example' });
    expect(moved.status).toBe(400);
    expect(ProblemSchema.parse(moved.body).errors?.[0]?.path).toBe('password');
    expect((await call('PATCH', `/v1/inboxes/${added.id}`, acme, { host: '127.0.0.1', password: 'x' })).status).toBe(422);
    const edited = valid(InboxSchema, await call('PATCH', `/v1/inboxes/${added.id}`, acme, { folder: 'Jobs', afterImport: 'seen' }), 200);
    expect(edited).toMatchObject({ folder: 'Jobs', afterImport: 'seen', host: 'imap.customer.example' });
    const rehosted = valid(InboxSchema, await call('PATCH', `/v1/inboxes/${added.id}`, acme, { host: 'smtp.customer.example', password: 'new-one' }), 200);
    expect(rehosted.host).toBe('smtp.customer.example');
    expect((await call('PATCH', `/v1/inboxes/${added.id}`, globex, { folder: 'x' })).status).toBe(404);
  });
});
