// The typed client (src/client): its schema is what the API's OpenAPI document
// makes today (so a route changed without `npm run client:generate` fails
// here), and it talks to a real server on loopback: the bearer token sent,
// typed bodies and answers, an error answered as a typed problem document.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailroomClient, type MailroomClient, type Problem } from '../../src/client/index.ts';
import { buildOpenApiDocument, clientSchemaSource, CLIENT_SCHEMA_PATH } from '../support/client-schema.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { authenticatedSenders, isProcessed, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';

const root = join(import.meta.dirname, '..', '..');

describe('the generated schema', () => {
  it('is what the OpenAPI document makes (run npm run client:generate when the API changed)', async () => {
    const fresh = await clientSchemaSource(await buildOpenApiDocument(), root);
    const committed = readFileSync(join(root, CLIENT_SCHEMA_PATH), 'utf8');
    // Said once, with the first line that differs, rather than a diff of a thousand lines.
    const lines = committed.split('\n');
    const at = fresh.split('\n').findIndex((line, i) => line !== lines[i]);
    const where = at === -1 ? 'the committed file is longer' : `line ${at + 1}: ${fresh.split('\n')[at]!.trim()}`;
    expect(committed === fresh, `${CLIENT_SCHEMA_PATH} is out of date (${where}): run npm run client:generate and commit it`).toBe(true);
  });
});

describe('the client against a running server', () => {
  let t: TestServer;
  let baseUrl: string;
  let client: MailroomClient;
  const sent: Request[] = [];

  beforeAll(async () => {
    // candidate.example's mail is authenticated (SPF for 127.0.0.1), so a reply from a synced candidate is matched by its sender.
    t = await startTestServer({ overrides: { dns: { zoneFile: zoneFile(tempDir(), authenticatedSenders(['candidate.example'])) } } });
    baseUrl = `http://127.0.0.1:${t.server.http!.port}`;
    const token = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('acme'))!.id, 'client', new Date().toISOString())).token;
    // Our own fetch, to see what goes over the wire (and that the option is honoured).
    client = createMailroomClient({ baseUrl, token, fetch: (request) => (sent.push(request.clone()), fetch(request)) });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  async function deliver(rcpt: string, from: string): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([rcpt], from))?.code).toBe(354);
    const id = queuedId(await c.command(`From: ${from}\r\nSubject: Re: Interview\r\nMessage-ID: <client-test@candidate.example>\r\n\r\nHello.\r\n.`));
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  it('bulk-syncs candidates and lists the messages they send, with the bearer token on every request', async () => {
    const { data: bulk, error } = await client.POST('/v1/candidates/bulk', {
      body: { candidates: [{ externalId: 'jane', name: 'Jane Doe', emails: ['jane@candidate.example'] }] },
    });
    expect(error).toBeUndefined();
    expect(bulk).toEqual({ created: 1, updated: 0, rejected: [] });
    expect(sent.at(-1)?.headers.get('authorization')).toMatch(/^Bearer mrt_/);
    expect(await sent.at(-1)?.json()).toEqual({ candidates: [{ externalId: 'jane', name: 'Jane Doe', emails: ['jane@candidate.example'] }] });

    const id = await deliver('careers@replies.acme.com', 'jane@candidate.example');
    const { data: page, response } = await client.GET('/v1/messages', { params: { query: { status: 'assigned', limit: 10 } } });
    expect(response.status).toBe(200);
    expect(new URL(sent.at(-1)!.url).search).toBe('?status=assigned&limit=10');
    expect(page?.items.map((m) => [m.id, m.status, m.candidate?.externalId])).toEqual([[id, 'assigned', 'jane']]);
    expect(page?.nextCursor).toBeNull();
  });

  it('answers an error as a typed problem document', async () => {
    const { data, error, response } = await client.GET('/v1/messages/{id}', { params: { path: { id: 'no-such-message' } } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem: Problem | undefined = error;
    expect(problem).toMatchObject({ status: 404, title: 'Not found', type: expect.stringContaining('not-found') });

    const other = await client.POST('/v1/candidates/bulk', {
      body: { tenant: 'globex', candidates: [{ externalId: 'x', name: 'X', emails: ['x@candidate.example'] }] },
    });
    expect(other.error?.status).toBe(404);
    expect(other.error?.detail).toMatch(/globex/);
  });

  it('sends the token it was given: a revoked or unknown one is refused', async () => {
    const stranger = createMailroomClient({ baseUrl: `${baseUrl}/`, token: 'mrt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' });
    const { error, response } = await stranger.GET('/v1/messages');
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ status: 401, detail: expect.stringMatching(/unknown or revoked/) });
  });
});
