// The HTTP API over real HTTP on loopback: every endpoint, responses checked
// against the same schemas /openapi.json is made of, tenant isolation (one
// tenant's token never sees another's data), bad input (a problem document,
// nothing stored), health, readiness and metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from '@hono/zod-openapi';
import {
  AccountSchema,
  BulkResultSchema,
  CandidateSchema,
  DiagnosisSchema,
  InboxSchema,
  InboxTestSchema,
  MessageSchema,
  MessageShownSchema,
  OutboundSchema,
  page,
  ProblemSchema,
  WebhookSchema,
} from '../../src/http/schemas.ts';
import { addInbox, EVERY_TENANT } from '../../src/operations/index.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { isProcessed, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';
import { addTestAccount } from '../helpers/accounts.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let base: string;
  let acmeToken: string;
  let globexToken: string;
  let provider: Provider;

  beforeAll(async () => {
    // ats.example is the tenant's webhook receiver, on a documentation address (TEST-NET-1) that routes nowhere.
    t = await startTestServer({
      backend,
      overrides: { relay: { pollIntervalMs: 100 }, dns: { zoneFile: zoneFile(tempDir(), { 'ats.example': { A: ['192.0.2.44'] } }) } },
    });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    const tokens = t.ctx.apiTokens;
    acmeToken = (await tokens.create((await t.ctx.tenants.get('acme'))!.id, 'ats', new Date().toISOString())).token;
    globexToken = (await tokens.create((await t.ctx.tenants.get('globex'))!.id, 'ats', new Date().toISOString())).token;
    await t.ctx.tenants.add({ slug: 'acme-de', parent: 'acme', domains: ['acme.de'], replyDomains: ['antworten.acme.de'], forwardAddresses: [] });
    provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' } });
  });
  afterAll(async () => {
    await t.cleanup();
    await provider.close();
  });

  async function call(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; type: string; body: unknown; text: string }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, type, text, body: type.includes('json') && text ? (JSON.parse(text) as unknown) : null };
  }

  function valid<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
    const result = schema.safeParse(value);
    if (!result.success) throw new Error(`response does not match its schema: ${result.error.message}\n${JSON.stringify(value)}`);
    return result.data;
  }

  function problem(res: { status: number; type: string; body: unknown }, status: number, detail?: RegExp): void {
    expect(res.status).toBe(status);
    expect(res.type).toContain('application/problem+json');
    const p = valid(ProblemSchema, res.body);
    if (detail) expect(p.detail).toMatch(detail);
  }

  async function deliver(rcpt: string, from: string, extra = ''): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([rcpt], from))?.code).toBe(354);
    const id = queuedId(
      await c.command(`From: ${from}\r\nSubject: Re: Interview\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@x>\r\n${extra}\r\nHello.\r\n.`),
    );
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  describe('HTTP API', () => {
    it('answers health, readiness, metrics and its OpenAPI document without a token; /v1 needs one', async () => {
      expect((await call('GET', '/healthz', null)).body).toEqual({ status: 'ok' });
      expect((await call('GET', '/readyz', null)).status).toBe(200);
      const doc = (await call('GET', '/openapi.json', null)).body as {
        openapi: string;
        paths: Record<string, unknown>;
        components: { schemas: Record<string, unknown> };
      };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/v1/candidates',
          '/v1/candidates/{externalId}',
          '/v1/candidates/bulk',
          '/v1/messages',
          '/v1/messages/{id}',
          '/v1/messages/{id}/raw',
          '/v1/messages/{id}/attachments/{sha256}',
          '/v1/messages/{id}/assign',
          '/v1/messages/{id}/dismiss',
          '/v1/send',
          '/v1/accounts',
          '/v1/accounts/{id}/test',
          '/v1/webhooks',
          '/v1/webhooks/replay',
          '/v1/inboxes',
          '/v1/inboxes/{id}',
          '/v1/inboxes/{id}/test',
        ]),
      );
      expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Candidate', 'Message', 'Problem', 'SendRequest']));
      problem(await call('GET', '/v1/messages', null), 401, /Authorization: Bearer/);
      problem(await call('GET', '/v1/messages', 'mrt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), 401, /unknown or revoked/);
      problem(await call('GET', '/v1/nothing-here', acmeToken), 404, /no route/);
    });

    it('upserts, lists (cursor pages), bulk-syncs and deletes candidates; bad input stores nothing', async () => {
      const created = await call('PUT', '/v1/candidates/c-1', acmeToken, { name: 'Jane', emails: ['Jane@Candidate.example'] });
      expect(created.status).toBe(201);
      expect(valid(CandidateSchema, created.body)).toMatchObject({ externalId: 'c-1', emails: ['jane@candidate.example'], tenant: 'acme' });
      expect((await call('PUT', '/v1/candidates/c-1', acmeToken, { name: 'Jane Doe', emails: ['jane@candidate.example'] })).status).toBe(200);

      const bulk = await call('POST', '/v1/candidates/bulk', acmeToken, {
        candidates: [
          ...Array.from({ length: 5 }, (_, i) => ({ externalId: `b-${i}`, name: `Bulk ${i}`, emails: [`bulk${i}@candidate.example`] })),
          { externalId: 'bad', name: 'Bad', emails: ['not-an-address'] },
        ],
      });
      expect(valid(BulkResultSchema, bulk.body)).toEqual({
        created: 5,
        updated: 0,
        rejected: [{ index: 5, externalId: 'bad', reason: expect.stringContaining('not an email address') }],
      });

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await call('GET', `/v1/candidates?limit=2${cursor ? `&cursor=${cursor}` : ''}`, acmeToken);
        const pageBody = valid(page(CandidateSchema, 'CandidatePage'), res.body);
        seen.push(...pageBody.items.map((c) => c.externalId));
        cursor = pageBody.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['b-0', 'b-1', 'b-2', 'b-3', 'b-4', 'c-1']);

      problem(await call('PUT', '/v1/candidates/c-2', acmeToken, { name: '', emails: [] }), 400, /name|emails/);
      problem(await call('PUT', '/v1/candidates/c-2', acmeToken, { name: 'X', emails: ['nope'] }), 400, /not an email address/);
      problem(await call('PUT', '/v1/candidates/c-2', acmeToken, '{"name": "X", '), 400);
      problem(await call('PUT', '/v1/candidates/c-2', acmeToken, 'name=X', { 'content-type': 'text/plain' }), 415);
      expect(await t.ctx.candidates.get('acme', 'c-2')).toBeNull();

      // A subcompany by name; another tenant's slug is not found.
      expect((await call('PUT', '/v1/candidates/de-1', acmeToken, { name: 'Hans', emails: ['hans@kandidat.example'], tenant: 'acme-de' })).status).toBe(201);
      problem(await call('PUT', '/v1/candidates/x', acmeToken, { name: 'X', emails: ['x@y.example'], tenant: 'globex' }), 404);

      expect((await call('DELETE', '/v1/candidates/b-4', acmeToken)).status).toBe(204);
      problem(await call('DELETE', '/v1/candidates/b-4', acmeToken), 404);
    });

    it("never shows one tenant another tenant's messages, candidates, accounts or webhooks", async () => {
      const theirs = await deliver('careers@replies.globex.com', 'someone@else.example');
      const ours = await deliver('careers@replies.acme.com', 'jane@candidate.example');
      problem(await call('GET', `/v1/messages/${theirs}`, acmeToken), 404);
      problem(await call('GET', `/v1/messages/${theirs}/raw`, acmeToken), 404);
      problem(await call('POST', `/v1/messages/${theirs}/dismiss`, acmeToken, {}), 404);
      const listed = valid(page(MessageSchema, 'MessagePage'), (await call('GET', '/v1/messages?limit=500', acmeToken)).body);
      expect(listed.items.map((m) => m.id)).toContain(ours);
      expect(listed.items.map((m) => m.id)).not.toContain(theirs);
      expect(listed.items.every((m) => m.tenant === 'acme' || m.tenant === 'acme-de')).toBe(true);
      const globexCandidates = valid(page(CandidateSchema, 'CandidatePage'), (await call('GET', '/v1/candidates', globexToken)).body);
      expect(globexCandidates.items).toEqual([]);
      problem(await call('DELETE', '/v1/candidates/c-1', globexToken), 404);
      expect(await t.ctx.candidates.get('acme', 'c-1')).not.toBeNull();
    });

    it('shows messages with their evidence and raw bytes, downloads attachments, assigns and dismisses from the queue', async () => {
      const attachment = Buffer.from('%PDF-1.4 my CV').toString('base64');
      const withCv = await deliver(
        'careers@replies.acme.com',
        'jane.private@else.example',
        `MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nMy CV.\r\n--b\r\nContent-Type: application/pdf; name="cv.pdf"\r\nContent-Disposition: attachment; filename="cv.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b--`,
      );
      const shown = valid(MessageShownSchema, (await call('GET', `/v1/messages/${withCv}`, acmeToken)).body);
      expect(shown).toMatchObject({ status: 'unassigned', reason: 'unknown_sender', evidence: { sender: 'jane.private@else.example' } });
      const raw = await call('GET', `/v1/messages/${withCv}/raw`, acmeToken);
      expect(raw.type).toBe('message/rfc822');
      expect(raw.text).toMatch(/^Received: from /);
      const sha = shown.attachments[0]!.sha256;
      const download = await fetch(`${base}/v1/messages/${withCv}/attachments/${sha}`, { headers: { authorization: `Bearer ${acmeToken}` } });
      expect(download.headers.get('content-type')).toBe('application/pdf');
      expect(download.headers.get('content-disposition')).toContain('cv.pdf');
      expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('%PDF-1.4 my CV');
      problem(await call('GET', `/v1/messages/${withCv}/attachments/${'0'.repeat(64)}`, acmeToken), 404);

      const queue = valid(page(MessageSchema, 'MessagePage'), (await call('GET', '/v1/messages?status=unassigned&reason=unknown_sender', acmeToken)).body);
      expect(queue.items.map((m) => m.id)).toContain(withCv);
      problem(await call('POST', `/v1/messages/${withCv}/assign`, acmeToken, { candidate: 'nobody' }), 404, /no candidate "nobody"/);
      problem(await call('POST', `/v1/messages/${withCv}/assign`, acmeToken, {}), 400, /candidate/);
      const assigned = valid(
        MessageShownSchema,
        (await call('POST', `/v1/messages/${withCv}/assign`, acmeToken, { candidate: 'c-1', rememberAddress: true })).body,
      );
      expect(assigned).toMatchObject({ status: 'assigned', method: 'manual', candidate: { externalId: 'c-1' } });
      expect((await t.ctx.candidates.get('acme', 'c-1'))?.emails).toContain('jane.private@else.example');
      problem(await call('POST', `/v1/messages/${withCv}/assign`, acmeToken, { candidate: 'c-1' }), 409, /not unassigned/);

      const stranger = await deliver('careers@replies.acme.com', 'stranger@else.example');
      expect(valid(MessageShownSchema, (await call('POST', `/v1/messages/${stranger}/dismiss`, acmeToken, { note: 'spam' })).body).status).toBe('dismissed');
    });

    it('queues a message with send, shows it, lists and tests accounts, manages webhooks', async () => {
      problem(await call('POST', '/v1/send', acmeToken, { to: 'jane@candidate.example', subject: 'Hi', text: 'x' }), 409, /no default sending account/);
      const account = await addTestAccount(t.ctx, provider, { name: 'api', isDefault: true });
      problem(await call('POST', '/v1/send', acmeToken, { to: 'jane@candidate.example', subject: 'Hi' }), 400, /text, html or both/);
      expect(await t.ctx.outbound.list({ limit: 10 })).toEqual([]);
      const queued = await call('POST', '/v1/send', acmeToken, { to: 'jane@candidate.example', subject: 'Interview', text: 'Tuesday?', candidate: 'c-1' });
      expect(queued.status).toBe(202);
      const outbound = valid(OutboundSchema, queued.body);
      expect(outbound.replyTo).toMatch(/^careers\+[a-z2-7]+@replies\.acme\.com$/);
      await waitFor(async () => (await t.ctx.outbound.get(outbound.id))?.status === 'sent', 10_000, 'sent');
      expect(valid(OutboundSchema, (await call('GET', `/v1/outbound/${outbound.id}`, acmeToken)).body).status).toBe('sent');
      problem(await call('GET', `/v1/outbound/${outbound.id}`, globexToken), 404);
      const outboundPage = valid(page(OutboundSchema, 'OutboundPage'), (await call('GET', '/v1/outbound?status=sent&limit=1', acmeToken)).body);
      expect(outboundPage.items.map((o) => o.id)).toEqual([outbound.id]);
      expect(valid(page(OutboundSchema, 'OutboundPage'), (await call('GET', '/v1/outbound', globexToken)).body).items).toEqual([]);
      expect(valid(OutboundSchema, (await call('GET', `/v1/outbound/${outbound.id}`, acmeToken)).body).failure).toBeNull();

      // Refused by the provider: the API shows the failure typed, not only its words.
      provider.script.rcpt.push({ code: 550, text: '5.1.1 The email account that you tried to reach does not exist' });
      const refused = valid(OutboundSchema, (await call('POST', '/v1/send', acmeToken, { to: 'gone@candidate.example', subject: 'Hi', text: 'x' })).body);
      await waitFor(async () => (await t.ctx.outbound.get(refused.id))?.status === 'failed', 10_000, 'failed');
      expect(valid(OutboundSchema, (await call('GET', `/v1/outbound/${refused.id}`, acmeToken)).body)).toMatchObject({
        status: 'failed',
        lastReply: '550 5.1.1 The email account that you tried to reach does not exist',
        failure: {
          permanent: true,
          code: 550,
          enhancedCode: '5.1.1',
          line: '550 5.1.1 The email account that you tried to reach does not exist',
          cause: 'refused',
        },
      });

      const accounts = (await call('GET', '/v1/accounts', acmeToken)).body as { items: unknown[] };
      expect(accounts.items.map((a) => valid(AccountSchema, a))).toEqual([expect.objectContaining({ id: account.id, password: '********' })]);
      expect(((await call('GET', '/v1/accounts', globexToken)).body as { items: unknown[] }).items).toEqual([]);
      const tested = valid(DiagnosisSchema, (await call('POST', `/v1/accounts/${account.id}/test`, acmeToken)).body);
      expect(tested).toMatchObject({ ok: true, stage: 'mail_from' });
      problem(await call('POST', `/v1/accounts/${account.id}/test`, globexToken), 404);
      const sealed = (await t.ctx.sql.prepare('SELECT secret FROM accounts WHERE id = ?').pluck().get(account.id)) as string;
      await t.ctx.sql.prepare('UPDATE accounts SET secret = ? WHERE id = ?').run('v1.lostkey.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBB', account.id);
      const lost = await call('POST', `/v1/accounts/${account.id}/test`, acmeToken);
      problem(lost, 409, /cannot be opened.*mailroom accounts add --tenant acme/);
      expect(lost.text).not.toContain('lostkey');
      expect(await t.ctx.accounts.get(account.id)).toMatchObject({ status: 'failing' });
      await t.ctx.sql.prepare('UPDATE accounts SET secret = ? WHERE id = ?').run(sealed, account.id);

      problem(await call('POST', '/v1/webhooks', acmeToken, { url: 'ftp://x.example/hook' }), 400, /url/);
      problem(await call('POST', '/v1/webhooks', acmeToken, { url: 'https://ats.example/hook', events: ['message.nope'] }), 400, /events/);
      const added = await call('POST', '/v1/webhooks', acmeToken, { url: 'https://ats.example/hook', events: ['message.assigned'] });
      expect(added.status).toBe(201);
      const { webhook, secret } = added.body as { webhook: unknown; secret: string };
      const hook = valid(WebhookSchema, webhook);
      expect(secret).toMatch(/^whsec_/);
      expect(((await call('GET', '/v1/webhooks', acmeToken)).body as { items: { id: number }[] }).items.map((w) => w.id)).toEqual([hook.id]);
      expect(((await call('GET', '/v1/webhooks', globexToken)).body as { items: unknown[] }).items).toEqual([]);
      const rotated = (await call('POST', `/v1/webhooks/${hook.id}/rotate-secret`, acmeToken)).body as { secret: string };
      expect(rotated.secret).not.toBe(secret);
      expect(
        ((await call('POST', '/v1/webhooks/replay', acmeToken, { since: new Date(Date.now() - 3_600_000).toISOString() })).body as { queued: number }).queued,
      ).toBeGreaterThan(0);
      problem(await call('POST', '/v1/webhooks/replay', acmeToken, { since: 'yesterday' }), 400, /since/);
      problem(await call('DELETE', `/v1/webhooks/${hook.id}`, globexToken), 404);
      expect((await call('DELETE', `/v1/webhooks/${hook.id}`, acmeToken)).status).toBe(204);
    });

    it("lists, shows, tests and removes the tenant's inboxes, never another tenant's", async () => {
      // Nothing listens on the port: the test says so at the login step.
      const inbox = await addInbox(t.ctx, EVERY_TENANT, {
        tenant: 'acme',
        address: 'jobs@acme.com',
        host: '127.0.0.1',
        port: 9,
        security: 'none',
        allowPlain: true,
        credentials: { password: 'secret-mailbox-password' },
      });
      const listed = await call('GET', '/v1/inboxes', acmeToken);
      expect(listed.status).toBe(200);
      const items = (listed.body as { items: unknown[] }).items;
      expect(items.map((i) => valid(InboxSchema, i))).toEqual([expect.objectContaining({ id: inbox.id, address: 'jobs@acme.com', password: '********' })]);
      expect(JSON.stringify(listed.body)).not.toContain('secret-mailbox-password');
      expect((await call('GET', '/v1/inboxes', globexToken)).body).toEqual({ items: [] });
      expect(valid(InboxSchema, (await call('GET', `/v1/inboxes/${inbox.id}`, acmeToken)).body)).toMatchObject({ imported: 0, status: 'pending' });
      problem(await call('GET', `/v1/inboxes/${inbox.id}`, globexToken), 404, /no inbox/);
      const tested = await call('POST', `/v1/inboxes/${inbox.id}/test`, acmeToken);
      expect(valid(InboxTestSchema, tested.body)).toMatchObject({ ok: false, stage: 'login', advice: expect.stringMatching(/server name and port/) });
      problem(await call('DELETE', `/v1/inboxes/${inbox.id}`, globexToken), 404);
      expect((await call('DELETE', `/v1/inboxes/${inbox.id}`, acmeToken)).status).toBe(204);
      expect(await t.ctx.inboxes.get(inbox.id)).toBeNull();
    });

    it('counts accepted and refused mail and exposes queue depths in /metrics', async () => {
      const c = await RawSmtp.connect(t.port);
      await c.reply();
      await c.command('EHLO test.example');
      await c.command('MAIL FROM:<x@else.example>');
      expect((await c.command('RCPT TO:<someone@nowhere.example>'))?.code).toBe(550);
      c.close();
      const text = (await call('GET', '/metrics', null)).text;
      expect(text).toMatch(/^mailroom_smtp_messages_accepted_total \d+/m);
      expect(Number(/^mailroom_smtp_messages_accepted_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
      expect(text).toMatch(/^mailroom_smtp_refused_total\{reason="relay_denied"\} [1-9]/m);
      expect(text).toMatch(/^mailroom_messages\{status="unassigned"\} [1-9]/m);
      expect(text).toMatch(/^mailroom_pipeline_latency_seconds\{quantile="0.5"\} /m);
      expect(text).toMatch(/^mailroom_outbound_messages\{status="sent"\} [1-9]/m);
      expect(text).toMatch(/^mailroom_webhook_deliveries/m);
      expect(text).toMatch(/^mailroom_process_open_fds /m);
      expect(text).toMatch(/^mailroom_thread_running\{thread="pipeline"\} [01]$/m);
      expect(text).toMatch(/^mailroom_thread_running\{thread="relay"\} [01]$/m);
    });
  });
});
