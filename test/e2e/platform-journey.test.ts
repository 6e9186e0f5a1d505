// The platform's journey, on both backends, through the generated client and
// nothing else after the first platform token (examples/platform-journey.ts,
// the code docs/http-api.md shows): a customer's tenant with a subcompany and
// a webhook; an account on the stand-in provider, tested, proven Active by its
// test email; candidates synced and one written to; her reply with In-Reply-To
// and a CV over real SMTP, announced by a signed webhook (verified with the
// standardwebhooks package) that names the outbound message it answers and
// whose attachment downloads; the conversation in order; a Google account
// connected from the platform's page back to its returnUrl; the tenant check.
// And the edges: a tenant token minted over the API stays in its tenant (404),
// a server without relay.allowPrivateNetworks refuses a private host (422).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailroomClient } from '../../src/client/index.ts';
import { createPlatformToken, EVERY_TENANT } from '../../src/operations/index.ts';
import * as journey from '../../examples/platform-journey.ts';
import { eventValidator } from '../helpers/event-schemas.ts';
import { startAuthServer, type StandInAuthServer } from '../helpers/oauth-server.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { authenticatedSenders, BACKENDS, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';

const RETURN = 'https://app.platform.example/settings/email';
const CV = '%PDF-1.4 the candidate CV';

describe.each(BACKENDS)('the platform journey on %s', (backend) => {
  let t: TestServer;
  let base: string;
  let platformToken: string;
  let provider: Provider;
  let auth: StandInAuthServer;
  let receiver: Receiver;

  beforeAll(async () => {
    auth = await startAuthServer('jobs@northwind.example');
    // The candidate's mail is authenticated (SPF for 127.0.0.1), as a real mailbox provider's would be.
    const zone = zoneFile(tempDir(), authenticatedSenders(['candidate.example']));
    t = await startTestServer({
      backend,
      overrides: {
        dns: { zoneFile: zone },
        relay: { pollIntervalMs: 100 },
        oauth: {
          googleClientId: auth.clientId,
          googleClientSecret: auth.clientSecret,
          googleAuthorizeUrl: `${auth.url}/authorize`,
          googleTokenUrl: `${auth.url}/token`,
          googleIssuer: auth.url,
          allowedReturnUrls: RETURN,
        },
      },
    });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    // The one step outside the API: the operator's platform token (what `mailroom tokens create --platform` makes).
    platformToken = (await createPlatformToken(t.ctx, EVERY_TENANT, 'platform')).token;
    // The customer's provider hands mail for the reply domain on to our MX, as the internet would, and keeps the rest.
    provider = await startProvider({
      secure: false,
      users: { 'recruiter@northwind.example': 'app-password-1' },
      deliverTo: (to) => (to.every((a) => a.endsWith('@replies.northwind.example')) ? t.port : null),
    });
    receiver = await startReceiver('/hooks', await eventValidator(base));
  }, 60_000);
  afterAll(async () => {
    await t?.cleanup();
    await provider?.close();
    await receiver?.close();
    await auth?.close();
  });

  /** The candidate answers over real SMTP: In-Reply-To names our message, her CV attached. */
  async function candidateReplies(to: string, inReplyTo: string): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([to], 'jane@candidate.example'))?.code).toBe(354);
    const headers = [
      'From: Jane Doe <jane@candidate.example>',
      'Subject: Re: Your application: Data Engineer',
      `In-Reply-To: ${inReplyTo}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
    ].join('\r\n');
    const body = [
      '--b',
      'Content-Type: text/plain',
      '',
      'Thursday at ten works for me.',
      '--b',
      'Content-Type: application/pdf; name="cv.pdf"',
      'Content-Disposition: attachment; filename="cv.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(CV).toString('base64'),
      '--b--',
    ].join('\r\n');
    const id = queuedId(await c.command(`${headers}\r\n\r\n${body}\r\n.`));
    c.close();
    return id;
  }

  it('onboards a customer, proves its account, writes to a candidate and reads her reply, connects Google, checks the setup', async () => {
    const mailroom = journey.connect(base, platformToken);

    const { tenant, subcompany, webhookSecret } = await journey.onboardCustomer(mailroom, 'northwind', receiver.url);
    receiver.secrets.push(webhookSecret);
    expect(tenant).toMatchObject({ slug: 'northwind', replyDomains: ['replies.northwind.example'], parent: null });
    expect(subcompany).toMatchObject({ slug: 'northwind-uk', parent: 'northwind' });

    const { account, test } = await journey.connectSmtpAccount(mailroom, 'northwind', {
      host: '127.0.0.1',
      port: provider.port,
      tlsCa: provider.ca,
      username: 'recruiter@northwind.example',
      password: 'app-password-1',
      from: 'recruiter@northwind.example',
    });
    expect(account).toMatchObject({ tenant: 'northwind', status: 'pending', password: '********' });
    expect(test).toMatchObject({ ok: true });
    await waitFor(async () => (await journey.accountStatus(mailroom, account.id)) === 'active', 30_000, 'the account to turn active');
    await waitFor(() => receiver.events.some((e) => e.type === 'account.status_changed'), 10_000, 'account.status_changed');
    expect(receiver.events.find((e) => e.type === 'account.status_changed')?.data).toMatchObject({ account: { id: account.id, status: 'active' } });

    const candidate = { externalId: 'cand-7', name: 'Jane Doe', email: 'jane@candidate.example' };
    const { synced, outbound } = await journey.reachOut(mailroom, 'northwind', candidate);
    expect(synced).toEqual({ created: 1, updated: 0, rejected: [] });
    expect(outbound).toMatchObject({ tenant: 'northwind', to: candidate.email, accountId: account.id });
    await waitFor(() => provider.received.some((m) => m.raw.includes(outbound.messageId)), 15_000, 'the outreach at the provider');

    const replyId = await candidateReplies(outbound.replyTo!, outbound.messageId);
    await waitFor(() => receiver.events.some((e) => e.type === 'message.assigned'), 15_000, 'message.assigned');
    // The platform's endpoint reads the delivery as it came, verifying its signature.
    const delivered = receiver.deliveries.find((d) => d.body.includes('"message.assigned"'))!;
    const event = journey.readWebhook(webhookSecret, delivered.body, delivered.headers);
    if (event.type !== 'message.assigned') throw new Error(`not a reply: ${event.type}`);
    expect(() => journey.readWebhook(webhookSecret, delivered.body.replace('Thursday', 'Friday'), delivered.headers)).toThrow();
    expect(event.data.message).toMatchObject({ id: replyId, outboundId: outbound.id, candidate: { externalId: 'cand-7' } });
    expect(event.data.message.attachments[0]?.url).toBe(`/v1/messages/${replyId}/attachments/${event.data.message.attachments[0]?.sha256}`);

    const read = await journey.onReply(mailroom, event);
    expect(read.answers).toBe(outbound.id);
    expect(read.text).toContain('Thursday at ten works for me.');
    expect(read.files.map((f) => [f.filename, f.contentType, f.bytes.toString()])).toEqual([['cv.pdf', 'application/pdf', CV]]);
    expect(read.thread?.items.map((i) => [i.direction, i.id])).toEqual([
      ['out', outbound.id],
      ['in', replyId],
    ]);

    // "Sign in with Google" from the platform's page: the browser's round trip, ending at returnUrl.
    const authorizeUrl = await journey.startGoogleSignIn(mailroom, 'northwind', `${RETURN}?customer=42`);
    const consent = await fetch(authorizeUrl, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location') ?? '');
    const callback = await fetch(`${base}${back.pathname}${back.search}`, { redirect: 'manual' });
    const ended = new URL(callback.headers.get('location') ?? '');
    expect(`${ended.origin}${ended.pathname}`).toBe(RETURN);
    expect(ended.searchParams.get('customer')).toBe('42');
    const connected = await mailroom.GET('/v1/accounts/{id}', { params: { path: { id: Number(ended.searchParams.get('account')) } } });
    expect(connected.data).toMatchObject({ tenant: 'northwind', username: 'jobs@northwind.example', status: 'pending' });

    const report = await journey.checkSetup(mailroom, 'northwind');
    if (!('checks' in report)) throw new Error('the check without forwarding tests answers at once');
    expect(report.checks).toContainEqual(expect.objectContaining({ area: 'reply_domain', subject: 'replies.northwind.example' }));
    expect(report.checks.every((c) => ['ok', 'warn', 'fail'].includes(c.status))).toBe(true);

    expect(receiver.badSignatures).toEqual([]);
    expect(receiver.invalidEvents).toEqual([]);
  }, 120_000);

  it('keeps a tenant token minted over the API inside its tenant', async () => {
    const mailroom = createMailroomClient({ baseUrl: base, token: platformToken });
    const minted = await mailroom.POST('/v1/tenants/{slug}/tokens', { params: { path: { slug: 'northwind' } }, body: { name: 'ats' } });
    const own = createMailroomClient({ baseUrl: base, token: minted.data!.token });
    expect((await own.GET('/v1/tenants/{slug}', { params: { path: { slug: 'northwind-uk' } } })).data?.slug).toBe('northwind-uk');
    for (const answer of [
      await own.GET('/v1/tenants/{slug}', { params: { path: { slug: 'acme' } } }),
      await own.GET('/v1/candidates', { params: { query: { tenant: 'acme' } } }),
      await own.POST('/v1/tenants/{slug}/check', { params: { path: { slug: 'globex' } }, body: {} }),
    ])
      expect(answer.response.status).toBe(404);
  });

  it('refuses a private mail server over the API (422 naming the rule) where the operator has not allowed them', async () => {
    const strict = await startTestServer({ backend, worker: false, overrides: { relay: { allowPrivateNetworks: false } } });
    try {
      const token = (await createPlatformToken(strict.ctx, EVERY_TENANT, 'platform')).token;
      const mailroom = createMailroomClient({ baseUrl: `http://127.0.0.1:${strict.server.http!.port}`, token });
      const refused = await mailroom.POST('/v1/accounts', {
        body: { tenant: 'acme', name: 'internal', provider: 'custom', host: '127.0.0.1', port: 587, username: 'u', password: 'p', from: 'recruiter@acme.com' },
      });
      expect(refused.response.status).toBe(422);
      expect(refused.error).toMatchObject({
        type: 'urn:mailroom:problem:refused',
        detail: expect.stringContaining('relay.allowPrivateNetworks'),
        errors: [expect.objectContaining({ path: 'host' })],
      });
    } finally {
      await strict.cleanup();
    }
  });
});

describe('the journey in the documentation', () => {
  it('is the code of examples/platform-journey.ts, word for word', () => {
    const root = join(import.meta.dirname, '..', '..');
    const region = /\/\/ #region journey\n([\s\S]*?)\/\/ #endregion journey/.exec(readFileSync(join(root, 'examples/platform-journey.ts'), 'utf8'))?.[1];
    const docs = readFileSync(join(root, 'docs/http-api.md'), 'utf8');
    const shown = /<!-- journey:begin -->\n```ts\n([\s\S]*?)```\n<!-- journey:end -->/.exec(docs)?.[1];
    expect(region).toBeDefined();
    expect(shown).toBe(region!.replace("'../src/client/index.ts'", "'mailroom/client'"));
  });
});
