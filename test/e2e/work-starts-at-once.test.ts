// Work written through the API starts at once, not at the next poll: a send
// reaches the provider and a manual assignment's webhook arrives within a few
// seconds although the relay and the webhook dispatcher poll only every minute
// here. On PostgreSQL the wake goes through the database's notification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../../src/webhooks/signing.ts';
import { addTestAccount } from '../helpers/accounts.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { BACKENDS, isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

const MINUTE = 60_000;

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let provider: Provider;
  let receiver: Receiver;
  let base: string;
  let token: string;

  beforeAll(async () => {
    t = await startTestServer({ backend, overrides: { relay: { pollIntervalMs: MINUTE }, webhooks: { pollIntervalMs: MINUTE } } });
    base = `http://127.0.0.1:${t.server.http!.port}`;
    const acme = (await t.ctx.tenants.get('acme'))!;
    token = (await t.ctx.apiTokens.create(acme.id, 'ats', new Date().toISOString())).token;
    provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' } });
    await addTestAccount(t.ctx, provider, { name: 'default', isDefault: true });
    receiver = await startReceiver();
    const secret = newWebhookSecret();
    receiver.secrets.push(secret);
    await t.ctx.webhooks.add(acme.id, receiver.url, null, t.ctx.keyring().seal(secret), new Date().toISOString());
  });
  afterAll(async () => {
    await t.cleanup();
    await provider.close();
    await receiver.close();
  });

  async function call(method: string, path: string, body: unknown): Promise<{ status: number; body: { id?: string; status?: string } }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { id?: string } };
  }

  it('sends a message queued through the API at once, the relay thread not running yet', async () => {
    expect(t.server.relayRunning).toBe(false);
    const queued = await call('POST', '/v1/send', { to: 'jane@candidate.example', subject: 'Interview', text: 'Tuesday?' });
    expect(queued.status).toBe(202);
    await waitFor(() => provider.received.some((m) => m.raw.includes('Subject: Interview')), 5000, 'the provider to receive the send');
  });

  it('delivers the webhook of a manual assignment and sends again at once while the relay thread runs', async () => {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData(['careers@replies.acme.com'], 'stranger@else.example'))?.code).toBe(354);
    const id = queuedId(await c.command(`From: stranger@else.example\r\nSubject: Hello\r\nMessage-ID: <wake-1@else.example>\r\n\r\nHello.\r\n.`));
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    // Its own event (message.unassigned) is delivered at once already today: the relay thread runs from here on.
    await waitFor(() => receiver.events.some((e) => e.type === 'message.unassigned'), 5000, 'the unassigned event');
    expect(t.server.relayRunning).toBe(true);

    await t.ctx.candidates.upsert('acme', { externalId: 'c-1', name: 'Jane', emails: ['jane@candidate.example'] });
    const assigned = await call('POST', `/v1/messages/${id}/assign`, { candidate: 'c-1' });
    expect(assigned.status).toBe(200);
    await waitFor(() => receiver.events.some((e) => e.type === 'message.assigned'), 5000, 'the assigned event');

    const before = provider.received.length;
    expect((await call('POST', '/v1/send', { to: 'jane@candidate.example', subject: 'Second', text: 'Wednesday?' })).status).toBe(202);
    await waitFor(() => provider.received.length > before, 5000, 'the provider to receive the second send');
    expect(receiver.badSignatures).toEqual([]);
  });
});
