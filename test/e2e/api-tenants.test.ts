// Tenants over the HTTP API, on both backends: a platform token creates a
// tenant (whose reply domain takes mail over real SMTP at once) and a
// subcompany, mints a tenant token that stays inside its tenant, acts inside
// any tenant it names; creates are idempotent with a key; removal is refused
// while the tenant has mail and purges it when asked; the tenant check answers
// its findings, and with forwarding tests a 202 to poll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from '@hono/zod-openapi';
import { CandidateSchema, CheckReportSchema, page, ProblemSchema, TenantCheckSchema, TenantSchema, TokenCreatedSchema } from '../../src/http/schemas.ts';
import { checkTenantSetup, createPlatformToken, EVERY_TENANT } from '../../src/operations/index.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { BACKENDS, isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

type Answer = { status: number; type: string; body: unknown; headers: Headers };

describe.each(BACKENDS)('tenants over the API on %s', (backend) => {
  let t: TestServer;
  let base: string;
  let platform: string;
  let acmeToken: string;

  beforeAll(async () => {
    t = await startTestServer({ backend });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    platform = (await createPlatformToken(t.ctx, EVERY_TENANT, 'platform')).token;
    acmeToken = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('acme'))!.id, 'ats', new Date().toISOString())).token;
  });
  afterAll(async () => {
    await t.cleanup();
  });

  async function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, type, body: type.includes('json') && text ? (JSON.parse(text) as unknown) : null, headers: response.headers };
  }

  function valid<T extends z.ZodType>(schema: T, answer: Answer, status: number): z.infer<T> {
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    const result = schema.safeParse(answer.body);
    if (!result.success) throw new Error(`answer does not match its schema: ${result.error.message}\n${JSON.stringify(answer.body)}`);
    return result.data;
  }

  function problem(answer: Answer, status: number, detail?: RegExp): void {
    expect(answer.type).toContain('application/problem+json');
    const p = valid(ProblemSchema, answer, status);
    if (detail) expect(p.detail).toMatch(detail);
  }

  /** The reply to RCPT TO for this address, over real SMTP. */
  async function rcpt(address: string): Promise<number> {
    const c = await RawSmtp.connect(t.port);
    await c.reply();
    await c.command('EHLO client.example');
    await c.command('MAIL FROM:<someone@sender.example>');
    const reply = await c.command(`RCPT TO:<${address}>`);
    await c.command('QUIT');
    c.close();
    return reply?.code ?? 0;
  }

  async function deliver(to: string): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([to], 'jane@candidate.example'))?.code).toBe(354);
    const id = queuedId(
      await c.command(`From: jane@candidate.example\r\nSubject: Re: Interview\r\nMessage-ID: <${Date.now()}@candidate.example>\r\n\r\nHello.\r\n.`),
    );
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  it('creates a tenant whose reply domain takes mail at once, and a subcompany; the OpenAPI document lists every route', async () => {
    expect(await rcpt('careers@replies.initech.com')).toBe(550);
    const created = valid(
      TenantSchema,
      await call('POST', '/v1/tenants', platform, {
        slug: 'initech',
        name: 'Initech',
        domains: ['initech.com'],
        replyDomains: ['replies.initech.com'],
        forwardAddresses: ['initech-jobs@in.mailroom.test'],
        inboxes: ['jobs@initech.com'],
      }),
      201,
    );
    expect(created).toMatchObject({ slug: 'initech', name: 'Initech', parent: null, replyDomains: ['replies.initech.com'], inboxes: ['jobs@initech.com'] });
    expect(await rcpt('careers@replies.initech.com')).toBe(250);
    expect(await rcpt('initech-jobs@in.mailroom.test')).toBe(250);

    const sub = valid(TenantSchema, await call('POST', '/v1/tenants', platform, { slug: 'initech-uk', parent: 'initech', domains: ['initech.co.uk'] }), 201);
    expect(sub).toMatchObject({ slug: 'initech-uk', parent: 'initech' });
    problem(await call('POST', '/v1/tenants', platform, { slug: 'initech', domains: ['initech.com'], replyDomains: ['r.initech.com'] }), 400, /already exists/);
    problem(await call('POST', '/v1/tenants', platform, { slug: 'x', domains: ['x.example'], replyDomains: ['replies.acme.com'] }), 400, /already routed/);

    const listed = valid(page(TenantSchema, 'TenantPage'), await call('GET', '/v1/tenants?limit=2', platform), 200);
    expect(listed.items.map((x) => x.slug)).toEqual(['acme', 'globex']);
    const rest = valid(page(TenantSchema, 'TenantPage'), await call('GET', `/v1/tenants?limit=2&cursor=${listed.nextCursor}`, platform), 200);
    expect(rest.items.map((x) => x.slug)).toEqual(['initech', 'initech-uk']);

    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const path of [
      '/v1/tenants',
      '/v1/tenants/{slug}',
      '/v1/tenants/{slug}/tokens',
      '/v1/tenants/{slug}/tokens/{id}',
      '/v1/tenants/{slug}/check',
      '/v1/tenants/{slug}/checks/{id}',
    ])
      expect(doc.paths, path).toHaveProperty([path]);
    expect(Object.keys(doc.paths['/v1/tenants/{slug}']!).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('mints a tenant token that stays inside its tenant and its subcompanies; revoked, it is refused', async () => {
    const minted = valid(TokenCreatedSchema, await call('POST', '/v1/tenants/initech/tokens', platform, { name: 'ats' }), 201);
    expect(minted).toMatchObject({ tenant: 'initech', name: 'ats' });
    const own = minted.token;
    expect(valid(page(TenantSchema, 'TenantPage'), await call('GET', '/v1/tenants', own), 200).items.map((x) => x.slug)).toEqual(['initech', 'initech-uk']);
    problem(await call('GET', '/v1/tenants/acme', own), 404);
    problem(await call('PATCH', '/v1/tenants/acme', own, { name: 'Mine' }), 404);
    problem(await call('POST', '/v1/tenants', own, { slug: 'rogue', domains: ['rogue.example'], replyDomains: ['replies.rogue.example'] }), 403, /top-level/);
    problem(await call('POST', '/v1/tenants', own, { slug: 'rogue', parent: 'acme', domains: ['rogue.example'] }), 404);
    problem(await call('DELETE', '/v1/tenants/initech', own), 403);
    problem(await call('POST', '/v1/tenants/initech/tokens', own, {}), 403, /platform token/);
    valid(TenantSchema, await call('POST', '/v1/tenants', own, { slug: 'initech-de', parent: 'initech', domains: ['initech.de'] }), 201);
    expect(valid(TenantSchema, await call('PATCH', '/v1/tenants/initech-de', own, { name: 'Initech DE' }), 200).name).toBe('Initech DE');
    expect((await call('DELETE', '/v1/tenants/initech-de', own)).status).toBe(204);
    problem(await call('GET', '/v1/tenants/initech-de', platform), 404);

    problem(await call('DELETE', `/v1/tenants/acme/tokens/${minted.id}`, platform), 404);
    expect((await call('DELETE', `/v1/tenants/initech/tokens/${minted.id}`, platform)).status).toBe(204);
    problem(await call('GET', '/v1/tenants', own), 401, /unknown or revoked/);
  });

  it('acts inside any tenant the platform token names, and asks for one where it must', async () => {
    problem(await call('PUT', '/v1/candidates/c-9', platform, { name: 'Jane', emails: ['jane@candidate.example'] }), 400, /platform token/);
    const candidate = valid(
      CandidateSchema,
      await call('PUT', '/v1/candidates/c-9', platform, { name: 'Jane', emails: ['jane@candidate.example'], tenant: 'globex' }),
      201,
    );
    expect(candidate.tenant).toBe('globex');
    const listed = valid(page(CandidateSchema, 'CandidatePage'), await call('GET', '/v1/candidates?tenant=globex', platform), 200);
    expect(listed.items.map((c) => c.externalId)).toEqual(['c-9']);
    problem(await call('GET', '/v1/candidates?tenant=globex', acmeToken), 404);
    problem(await call('POST', '/v1/webhooks', platform, { url: 'http://127.0.0.1:9/hook' }), 400, /platform token/);
    const hook = await call('POST', '/v1/webhooks', platform, { url: 'http://127.0.0.1:9/hook', tenant: 'globex' });
    expect(hook.status).toBe(201);
    expect((hook.body as { webhook: { tenant: string } }).webhook.tenant).toBe('globex');
    problem(await call('POST', '/v1/webhooks', acmeToken, { url: 'http://127.0.0.1:9/hook', tenant: 'globex' }), 404);
  });

  it('answers a create retried with the same Idempotency-Key alike, and refuses the key with another body', async () => {
    const body = { slug: 'hooli', domains: ['hooli.com'], replyDomains: ['replies.hooli.com'] };
    const first = await call('POST', '/v1/tenants', platform, body, { 'idempotency-key': 'create-hooli-1' });
    const again = await call('POST', '/v1/tenants', platform, body, { 'idempotency-key': 'create-hooli-1' });
    expect(valid(TenantSchema, again, 201)).toEqual(valid(TenantSchema, first, 201));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    problem(await call('POST', '/v1/tenants', platform, { ...body, name: 'Hooli XYZ' }, { 'idempotency-key': 'create-hooli-1' }), 409, /another request/);
    // Without the key the retry is a new request, and the slug is taken.
    problem(await call('POST', '/v1/tenants', platform, body), 400, /already exists/);
    // A refusal is kept as well: the same request fails the same way.
    const bad = { slug: 'Bad Slug', domains: ['bad.example'], replyDomains: ['replies.bad.example'] };
    problem(await call('POST', '/v1/tenants', platform, bad, { 'idempotency-key': 'bad-1' }), 400, /slug/);
    problem(await call('POST', '/v1/tenants', platform, bad, { 'idempotency-key': 'bad-1' }), 400, /slug/);
    // Keys belong to a token: another token's same key is its own.
    const other = (await createPlatformToken(t.ctx, EVERY_TENANT, 'second')).token;
    problem(await call('POST', '/v1/tenants', other, body, { 'idempotency-key': 'create-hooli-1' }), 400, /already exists/);
  });

  it('changes a tenant: a list given replaces it, and a new reply domain takes mail at once', async () => {
    const changed = valid(
      TenantSchema,
      await call('PATCH', '/v1/tenants/hooli', platform, { replyDomains: ['mail.hooli.com'], inboxes: ['jobs@hooli.com'] }),
      200,
    );
    expect(changed).toMatchObject({ replyDomains: ['mail.hooli.com'], domains: ['hooli.com'], inboxes: ['jobs@hooli.com'] });
    expect(await rcpt('careers@mail.hooli.com')).toBe(250);
    await waitFor(async () => (await rcpt('careers@replies.hooli.com')) === 550, 5000, 'the old reply domain refused');
    problem(await call('PATCH', '/v1/tenants/hooli', platform, { replyDomains: [] }), 400, /reply domain or forwarding address/);
    problem(await call('PATCH', '/v1/tenants/hooli', platform, { replyDomains: ['replies.acme.com'] }), 400, /already routed/);
  });

  it('refuses to remove a tenant with messages or subcompanies; purge removes it with its mail', async () => {
    const id = await deliver('careers@replies.initech.com');
    problem(await call('DELETE', '/v1/tenants/initech', platform), 409, /subcompanies/);
    expect((await call('DELETE', '/v1/tenants/initech-uk', platform)).status).toBe(204);
    problem(await call('DELETE', '/v1/tenants/initech', platform), 409, /messages/);
    expect(await t.ctx.messages.get(id)).not.toBeNull();
    expect((await call('DELETE', '/v1/tenants/initech?purge=true', platform)).status).toBe(204);
    problem(await call('GET', '/v1/tenants/initech', platform), 404);
    expect(await t.ctx.messages.get(id)).toBeNull();
    expect(await t.ctx.raw.read(id)).toBeNull();
    await waitFor(async () => (await rcpt('careers@replies.initech.com')) === 550, 5000, 'the removed reply domain refused');
  });

  it('checks a tenant: the findings as JSON (as the CLI has them); with forwarding tests a 202 polled to the end', async () => {
    const report = valid(CheckReportSchema, await call('POST', '/v1/tenants/acme/check', acmeToken), 200);
    const direct = await checkTenantSetup(t.ctx, EVERY_TENANT, 'acme', { sendTests: false, inboxes: [], progress: () => undefined });
    expect(report.checks).toEqual(direct.report.checks);
    expect(report.checks.some((c) => c.area === 'reply_domain' && c.subject === 'replies.acme.com')).toBe(true);
    problem(await call('POST', '/v1/tenants/globex/check', acmeToken), 404);

    const started = await call('POST', '/v1/tenants/acme/check', acmeToken, { sendTests: true });
    const check = valid(TenantCheckSchema, started, 202);
    expect(started.headers.get('location')).toBe(`/v1/tenants/acme/checks/${check.id}`);
    expect(check.url).toBe(started.headers.get('location'));
    let polled = check;
    await waitFor(async () => {
      polled = valid(TenantCheckSchema, await call('GET', check.url, acmeToken), 200);
      return polled.state !== 'running';
    });
    expect(polled.state).toBe('done');
    // acme names no company inbox: the forwarding test says so, with what to do.
    expect(polled.report?.checks.find((c) => c.area === 'forwarding')).toMatchObject({ status: 'warn', found: 'no company inbox to test' });
    // Kept in the database, so any node answers the poll.
    expect((await t.ctx.tenantChecks.get(check.id))?.state).toBe('done');
    problem(await call('GET', `/v1/tenants/globex/checks/${check.id}`, platform), 404);
  });
});
