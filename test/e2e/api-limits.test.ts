// The API stays in its token's scope and cannot starve the server: explicit
// accounts and conversations of other tenants are 404, bodies and strings
// have limits, each token has a request rate, and downloads are marked so a
// browser never renders them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTestAccount } from '../helpers/accounts.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let provider: Provider;
  let parentToken: string;
  let subToken: string;
  let limitedToken: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestServer({ backend, overrides: { http: { maxBodyBytes: 8192, rateLimitPerMinute: 30 } } });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    await t.ctx.tenants.add({ slug: 'acme-de', parent: 'acme', domains: ['acme.de'], replyDomains: ['antworten.acme.de'], forwardAddresses: [] });
    const tokens = t.ctx.apiTokens;
    const at = new Date().toISOString();
    parentToken = (await tokens.create((await t.ctx.tenants.get('acme'))!.id, 'ats', at)).token;
    subToken = (await tokens.create((await t.ctx.tenants.get('acme-de'))!.id, 'ats-de', at)).token;
    limitedToken = (await tokens.create((await t.ctx.tenants.get('globex'))!.id, 'busy', at)).token;
    provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' } });
  });
  afterAll(async () => {
    await t.cleanup();
    await provider.close();
  });

  async function call(method: string, path: string, token: string, body?: string): Promise<Response> {
    return fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
  }

  describe('the API in its scope and within its limits', () => {
    it("sends from a subcompany through the parent's default account implicitly, never through one it names", async () => {
      const parentAccount = await addTestAccount(t.ctx, provider, { tenant: 'acme', name: 'main', isDefault: true });
      const conversation = await t.ctx.conversations.open((await t.ctx.tenants.get('acme'))!.id, null, 'Parent thread', new Date().toISOString());
      const send = (extra: Record<string, unknown>) =>
        call('POST', '/v1/send', subToken, JSON.stringify({ tenant: 'acme-de', to: 'jane@candidate.example', subject: 'Hello', text: 'Hi', ...extra }));
      expect((await send({})).status).toBe(202);
      const named = await send({ accountId: parentAccount.id });
      expect(named.status).toBe(404);
      expect(((await named.json()) as { detail: string }).detail).toBe(`no account ${parentAccount.id}`);
      expect((await send({ conversationId: conversation })).status).toBe(404);
      expect((await send({ accountId: 999_999 })).status).toBe(404);
      // The parent's own token may name both.
      const own = await call(
        'POST',
        '/v1/send',
        parentToken,
        JSON.stringify({ to: 'jane@candidate.example', subject: 'Hello', text: 'Hi', accountId: parentAccount.id, conversationId: conversation }),
      );
      expect(own.status).toBe(202);
    });

    it('refuses bodies over http.maxBodyBytes with 413 and strings over their maximum with 400', async () => {
      const big = await call('POST', '/v1/send', parentToken, JSON.stringify({ to: 'jane@candidate.example', subject: 'x', text: 'y'.repeat(20_000) }));
      expect(big.status).toBe(413);
      expect(((await big.json()) as { type: string }).type).toBe('urn:mailroom:problem:too-large');
      // The console's sign-in form is read under the same limit: a stranger's endless form is cut off.
      const form = await fetch(`${base}/console/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `email=a%40b.example&password=${'p'.repeat(20_000)}`,
      });
      expect(form.status).toBe(413);
      const longName = await call('PUT', '/v1/candidates/c-long', parentToken, JSON.stringify({ name: 'n'.repeat(501), emails: ['long@candidate.example'] }));
      expect(longName.status).toBe(400);
      const longSlug = await call(
        'POST',
        '/v1/send',
        parentToken,
        JSON.stringify({ tenant: 't'.repeat(101), to: 'jane@candidate.example', subject: 'x', text: 'y' }),
      );
      expect(longSlug.status).toBe(400);
      // The bulk upsert may take ten times the limit.
      const rows = Array.from({ length: 300 }, (_, i) => ({ externalId: `bulk-${i}`, name: `Bulk ${i}`, emails: [`bulk${i}@candidate.example`] }));
      const bulk = await call('POST', '/v1/candidates/bulk', parentToken, JSON.stringify({ candidates: rows }));
      expect(bulk.status).toBe(200);
    });

    it('answers 429 with Retry-After once a token passes http.rateLimitPerMinute, other tokens unaffected', async () => {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 40; i++) {
        const response = await call('GET', '/v1/webhooks', limitedToken);
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get('retry-after');
        await response.body?.cancel();
      }
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(30);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await call('GET', '/v1/webhooks', parentToken)).status).toBe(200);
    });

    it('sends raw messages and attachments as downloads the browser must not sniff', async () => {
      const c = await RawSmtp.connect(t.port);
      expect((await c.startData(['careers@replies.acme.com'], 'x@else.example'))?.code).toBe(354);
      const body = [
        'From: x@else.example',
        'Subject: page',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'see attached',
        '--b',
        'Content-Type: text/html; name="page.html"',
        'Content-Disposition: attachment; filename="page.html"',
        '',
        '<script>alert(1)</script>',
        '--b--',
        '.',
      ].join('\r\n');
      const id = queuedId(await c.command(body));
      c.close();
      await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
      const raw = await call('GET', `/v1/messages/${id}/raw`, parentToken);
      expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
      expect(raw.headers.get('content-disposition')).toMatch(/^attachment/);
      expect(await raw.text()).toContain('Subject: page');
      const sha = (await t.ctx.messages.get(id))!.attachments[0]!.sha256;
      const file = await call('GET', `/v1/messages/${id}/attachments/${sha}`, parentToken);
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/);
      expect(await file.text()).toContain('<script>');
    });
  });
});
