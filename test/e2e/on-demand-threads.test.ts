// The pipeline and relay threads run while there is work: a real server, real
// SMTP, a real webhook receiver, short idleStopMs so the test sees them stop
// and start again.
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { addTestAccount } from '../helpers/accounts.ts';
import { startProvider } from '../helpers/provider.ts';
import { queuedId } from '../helpers/raw-smtp.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { newWebhookSecret } from '../../src/webhooks/signing.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

let t: TestServer | null = null;
let receiver: Receiver | null = null;
afterEach(async () => {
  await t?.cleanup();
  t = null;
  await receiver?.close();
  receiver = null;
});

async function send(port: number, n: number): Promise<string> {
  const info = await nodemailer
    .createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true })
    .sendMail({ from: 'jane@candidate.example', to: 'careers@replies.acme.com', subject: `Re: ${n}`, text: `Reply ${n}\r\n` });
  return queuedId({ code: 250, lines: [], text: info.response.slice(4) });
}

describe.each(BACKENDS)('on %s', (backend) => {
  describe('the pipeline thread on demand', () => {
    it('is not running on an idle server, starts when mail is accepted, stops when idle and starts again for the next message', async () => {
      t = await startTestServer({ backend, overrides: { worker: { idleStopMs: 300 } } });
      const server = t.server;
      expect(server.pipelineRunning).toBe(false);
      const first = await send(t.port, 1);
      await waitFor(async () => isProcessed((await t!.ctx.messages.get(first))?.status), 10_000, 'the first message processed');
      await waitFor(() => !server.pipelineRunning, 5_000, 'the idle thread to stop');
      const second = await send(t.port, 2);
      await waitFor(() => server.pipelineRunning, 5_000, 'the thread to start again');
      await waitFor(async () => isProcessed((await t!.ctx.messages.get(second))?.status), 10_000, 'the second message processed');
    });

    it('runs pipeline.threads threads sharing the queue, every message processed once', async () => {
      t = await startTestServer({ backend, overrides: { worker: { idleStopMs: 0 }, pipeline: { threads: 2 } } });
      const ids: string[] = [];
      for (let n = 0; n < 40; n++) ids.push(await send(t.port, n));
      await waitFor(() => t!.server.pipelineThreads === 2, 10_000, 'both pipeline threads to run');
      await waitFor(
        async () => (await Promise.all(ids.map(async (id) => isProcessed((await t!.ctx.messages.get(id))?.status)))).every(Boolean),
        20_000,
        'all processed',
      );
      const decided = (await t.ctx.sql.prepare(`SELECT subject, COUNT(*) AS n FROM events WHERE type LIKE 'message.%' GROUP BY subject`).all()) as {
        subject: string;
        n: number;
      }[];
      expect(decided.map((d) => [d.subject, Number(d.n)]).sort()).toEqual(ids.map((id) => [id, 1]).sort());
    });

    it("runs from the server's start, before any mail, and keeps running when idleStopMs is 0", async () => {
      t = await startTestServer({ backend, overrides: { worker: { idleStopMs: 0 } } });
      expect(t.server.pipelineRunning).toBe(true);
      const id = await send(t.port, 1);
      await waitFor(async () => isProcessed((await t!.ctx.messages.get(id))?.status), 10_000, 'the message processed');
      await new Promise((r) => setTimeout(r, 1_500));
      expect(t.server.pipelineRunning).toBe(true);
    });

    it('starts the relay thread when a webhook delivery falls due, and stops it when there is nothing left to deliver', async () => {
      t = await startTestServer({ backend, overrides: { relay: { idleStopMs: 300, pollIntervalMs: 100 }, webhooks: { pollIntervalMs: 50 } } });
      const { ctx, server } = t;
      expect(server.relayRunning).toBe(false);
      receiver = await startReceiver();
      const secret = newWebhookSecret();
      receiver.secrets.push(secret);
      await ctx.webhooks.add((await ctx.tenants.get('acme'))!.id, receiver.url, null, ctx.keyring().seal(secret), new Date().toISOString());
      const id = await send(t.port, 1);
      await waitFor(() => receiver!.events.some((e) => (e.data.message as { id: string }).id === id), 10_000, 'the event delivered');
      await waitFor(() => !server.relayRunning, 5_000, 'the idle relay thread to stop');
      const second = await send(t.port, 2);
      await waitFor(
        () => receiver!.events.some((e) => (e.data.message as { id: string }).id === second),
        10_000,
        'the second event delivered by a new relay thread',
      );
      expect(receiver.badSignatures).toEqual([]);
    });

    it('keeps the relay thread ready while a tenant has a sending account, so a send needs no thread start', async () => {
      t = await startTestServer({ backend, overrides: { relay: { idleStopMs: 300, pollIntervalMs: 100 } } });
      const provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' } });
      try {
        await new Promise((r) => setTimeout(r, 500));
        expect(t.server.relayRunning).toBe(false);
        await addTestAccount(t.ctx, provider, { name: 'default', isDefault: true });
        await waitFor(() => t!.server.relayRunning, 5_000, 'the relay thread on standby');
        // Far past relay.idleStopMs with nothing to send: still running.
        await new Promise((r) => setTimeout(r, 1_000));
        expect(t.server.relayRunning).toBe(true);
      } finally {
        await provider.close();
      }
    });

    it('leaves the relay thread stopped for a decision no webhook endpoint wants', async () => {
      // Polls far apart and a long idle stop: a relay thread started for the decision would still be running below.
      t = await startTestServer({ backend, overrides: { relay: { idleStopMs: 60_000, pollIntervalMs: 60_000 }, webhooks: { pollIntervalMs: 60_000 } } });
      const id = await send(t.port, 1);
      await waitFor(async () => isProcessed((await t!.ctx.messages.get(id))?.status), 10_000, 'the message processed');
      expect(Number(await t.ctx.sql.prepare(`SELECT COUNT(*) AS n FROM events WHERE subject = ?`).pluck().get(id))).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(t.server.relayRunning).toBe(false);
    });

    it("delivers a decision's webhook when the decision is stored, not at the next poll", async () => {
      // Polls far apart (a minute): only being woken by the stored decision delivers within the wait below.
      t = await startTestServer({ backend, overrides: { relay: { idleStopMs: 5_000, pollIntervalMs: 60_000 }, webhooks: { pollIntervalMs: 60_000 } } });
      const { ctx, server } = t;
      receiver = await startReceiver();
      const secret = newWebhookSecret();
      receiver.secrets.push(secret);
      await ctx.webhooks.add((await ctx.tenants.get('acme'))!.id, receiver.url, null, ctx.keyring().seal(secret), new Date().toISOString());
      // The relay thread is stopped: the stored decision starts it.
      expect(server.relayRunning).toBe(false);
      const first = await send(t.port, 1);
      await waitFor(
        () => receiver!.events.some((e) => (e.data.message as { id: string }).id === first),
        10_000,
        'the first event, by a relay thread started for it',
      );
      // The relay thread is running now: the next decision wakes it.
      expect(server.relayRunning).toBe(true);
      const second = await send(t.port, 2);
      await waitFor(
        () => receiver!.events.some((e) => (e.data.message as { id: string }).id === second),
        10_000,
        'the second event, by the woken relay thread',
      );
    });
  });
});
