// The recruiter's inbox over the HTTP API, on both backends: the candidate
// search the console's filing form uses (GET /v1/candidates?q=) and undoing a
// filing or dismissal by hand within its window (POST /v1/messages/{id}/undo),
// through the same operations as the console; another tenant's message or
// candidates are not found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from '@hono/zod-openapi';
import { CandidateSchema, MessageShownSchema, page, ProblemSchema } from '../../src/http/schemas.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { BACKENDS, isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let base: string;
  let acmeToken: string;
  let globexToken: string;
  // The server's clock runs this far ahead of the wall clock: the test moves past the undo window.
  let ahead = 0;

  beforeAll(async () => {
    t = await startTestServer({ backend, clock: { now: () => new Date(Date.now() + ahead) } });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    const at = new Date().toISOString();
    acmeToken = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('acme'))!.id, 'ats', at)).token;
    globexToken = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('globex'))!.id, 'ats', at)).token;
    await t.ctx.candidates.upsert('acme', { externalId: 'c-ann', name: 'Ann Müller', emails: ['ann@candidate.example'] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-anna', name: 'Anna Schmidt', emails: ['a.schmidt@work.example'] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-bob', name: 'Bob Müller', emails: ['bob@candidate.example'] });
    await t.ctx.candidates.upsert('globex', { externalId: 'g-ann', name: 'Ann Globex', emails: ['ann@globex-candidate.example'] });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  function valid<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
    const result = schema.safeParse(value);
    if (!result.success) throw new Error(`response does not match its schema: ${result.error.message}\n${JSON.stringify(value)}`);
    return result.data;
  }

  function problem(res: { status: number; body: unknown }, status: number, detail?: RegExp): void {
    expect(res.status).toBe(status);
    const p = valid(ProblemSchema, res.body);
    if (detail) expect(p.detail).toMatch(detail);
  }

  async function deliver(rcpt: string, from: string): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([rcpt], from))?.code).toBe(354);
    const id = queuedId(
      await c.command(`From: ${from}\r\nSubject: Re: Interview\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@x>\r\n\r\nHello.\r\n.`),
    );
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  const search = async (query: string, token = acmeToken): Promise<string[]> => {
    const res = await call('GET', `/v1/candidates?${query}`, token);
    expect(res.status).toBe(200);
    const found = valid(page(CandidateSchema, 'CandidatePage'), res.body);
    expect(found.nextCursor).toBeNull();
    return found.items.map((c) => c.externalId);
  };

  it('searches a tenant’s candidates by name, address or external id, every word, an exact external id first', async () => {
    expect(await search('q=ann')).toEqual(['c-ann', 'c-anna']);
    expect(await search('q=m%C3%BCller%20bob')).toEqual(['c-bob']);
    expect(await search('q=work.example')).toEqual(['c-anna']);
    expect(await search('q=c-anna')).toEqual(['c-anna']);
    expect(await search('q=ann&limit=1')).toHaveLength(1);
    expect(await search('q=nobody-like-this')).toEqual([]);
    problem(await call('GET', '/v1/candidates?q=ann&cursor=abc', acmeToken), 400, /cursor/);
    // Without q the list is the same as ever.
    expect(await call('GET', '/v1/candidates?limit=2', acmeToken)).toMatchObject({ status: 200, body: { nextCursor: expect.any(String) } });
  });

  it("never searches another tenant's candidates", async () => {
    expect(await search('q=ann', globexToken)).toEqual(['g-ann']);
    problem(await call('GET', '/v1/candidates?q=ann&tenant=acme', globexToken), 404);
    problem(await call('GET', '/v1/candidates?q=ann&tenant=globex', acmeToken), 404);
  });

  it('undoes a filing (forgetting a remembered address) and a dismissal within the window; 409 after it, naming it', async () => {
    const filed = await deliver('careers@replies.acme.com', 'ann.private@else.example');
    const assigned = await call('POST', `/v1/messages/${filed}/assign`, acmeToken, { candidate: 'c-ann', rememberAddress: true });
    expect(assigned.status).toBe(200);
    expect((await t.ctx.candidates.get('acme', 'c-ann'))?.emails).toContain('ann.private@else.example');

    // Another tenant cannot even see it.
    problem(await call('POST', `/v1/messages/${filed}/undo`, globexToken), 404);
    expect((await t.ctx.messages.get(filed))?.status).toBe('assigned');

    const undone = valid(MessageShownSchema, (await call('POST', `/v1/messages/${filed}/undo`, acmeToken)).body);
    expect(undone).toMatchObject({ id: filed, status: 'unassigned', reason: 'unknown_sender', candidate: null });
    expect((await t.ctx.candidates.get('acme', 'c-ann'))?.emails).toEqual(['ann@candidate.example']);
    // Nothing by hand to take back any more.
    problem(await call('POST', `/v1/messages/${filed}/undo`, acmeToken), 409, /only a filing or dismissal by hand can be undone/);

    const dismissed = await deliver('careers@replies.acme.com', 'noise@else.example');
    expect((await call('POST', `/v1/messages/${dismissed}/dismiss`, acmeToken, { note: 'spam' })).status).toBe(200);
    expect(valid(MessageShownSchema, (await call('POST', `/v1/messages/${dismissed}/undo`, acmeToken)).body).status).toBe('unassigned');

    // Filed again, then the clock passes the window.
    expect((await call('POST', `/v1/messages/${dismissed}/dismiss`, acmeToken, {})).status).toBe(200);
    ahead = 121_000;
    try {
      problem(await call('POST', `/v1/messages/${dismissed}/undo`, acmeToken), 409, /more than 120 seconds ago: too late to undo/);
      expect((await t.ctx.messages.get(dismissed))?.status).toBe('dismissed');
    } finally {
      ahead = 0;
    }
    problem(await call('POST', '/v1/messages/NOSUCHMESSAGE/undo', acmeToken), 404);
  });
});
