// Faults from outside, each answered the safe way: a database another process
// holds locked (451 and never 250 while it lasts, 250 after), a provider that
// accepts the connection and then hangs (deferred, and the connection test
// says where), and a webhook receiver too slow to answer (retried until it is
// delivered). Storage full and DNS failures have their own tests (limits, auth).
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnoseAccount } from '../../src/relay/diagnose.ts';
import { composeOutbound } from '../../src/relay/compose.ts';
import { openDatabase } from '../../src/store/index.ts';
import { newWebhookSecret } from '../../src/webhooks/signing.ts';
import { addTestAccount } from '../helpers/accounts.ts';
import type { Provider } from '../helpers/provider.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { dismissMessage, EVERY_TENANT } from '../../src/operations/index.ts';

let t: TestServer;
let hanging: Server;
const sockets: Socket[] = [];
/** The stand-in servers listen on loopback (an IP literal: nothing is looked up). */
const guard = { resolver: () => Promise.reject(new Error('no DNS')), allowPrivateNetworks: true };
beforeAll(async () => {
  t = await startTestServer({
    overrides: {
      relay: { pollIntervalMs: 100, connectionTimeoutMs: 500, retryBaseMs: 60_000 },
      webhooks: { pollIntervalMs: 50, timeoutMs: 300, retryBaseMs: 20 },
    },
  });
  // Accepts TCP and never says a word.
  hanging = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  hanging.close();
  await t.cleanup();
});

async function attempt(): Promise<{ code: number | undefined; text: string | undefined }> {
  const c = await RawSmtp.connect(t.port);
  expect((await c.startData(['careers@replies.acme.com'], 'jane@candidate.example'))?.code).toBe(354);
  const reply = await c.command('From: jane@candidate.example\r\nSubject: locked\r\n\r\nHello\r\n.');
  c.close();
  return { code: reply?.code, text: reply?.text };
}

describe('faults', () => {
  it('answers 451 (never 250) while another process holds the database locked, and 250 again after', async () => {
    const before = (await t.ctx.messages.totals()).count;
    const locker = openDatabase(t.dataDir);
    locker.prepare('BEGIN IMMEDIATE').run();
    try {
      const refused = await attempt(); // the store waits out its 5 s busy timeout, then refuses
      expect(refused.code).toBe(451);
      expect(refused.text).toMatch(/4\.3\.0/);
    } finally {
      locker.prepare('ROLLBACK').run();
      locker.close();
    }
    expect((await t.ctx.messages.totals()).count).toBe(before);
    const accepted = await attempt();
    expect(accepted.code).toBe(250);
    expect(await t.ctx.messages.get(queuedId({ code: 250, lines: [], text: accepted.text ?? '' }))).not.toBeNull();
  }, 30_000);

  it('defers a message when the provider accepts the connection and then hangs; the test says it never greeted', async () => {
    const port = (hanging.address() as { port: number }).port;
    const account = await addTestAccount(t.ctx, { port, ca: '' } as Provider, { name: 'hanging', isDefault: true });
    t.ctx.db.prepare('UPDATE accounts SET tls_ca = NULL WHERE id = ?').run(account.id);
    const queued = await composeOutbound(
      { repositories: t.ctx, keyring: t.ctx.keyring(), now: new Date() },
      { tenant: 'acme', to: 'jane@candidate.example', subject: 'Hello', text: 'x' },
    );
    await waitFor(async () => (await t.ctx.outbound.get(queued.id))?.status === 'deferred', 10_000, 'deferred');
    expect((await t.ctx.outbound.get(queued.id))?.lastReply).toMatch(/Greeting never received|ETIMEDOUT|timeout/i);
    const diagnosis = await diagnoseAccount(
      (await t.ctx.accounts.get(account.id))!,
      { password: 'x' },
      { connectionTimeoutMs: 500, hostname: 'mx.mailroom.test', guard },
    );
    expect(diagnosis).toMatchObject({ ok: false, stage: 'ehlo' });
    expect(diagnosis.stages.map((s) => [s.stage, s.ok])).toEqual([
      ['resolve', true],
      ['connect', true],
      ['ehlo', false],
    ]);
  });

  it("repeats no more of a remote server's reply than its code and first line", async () => {
    const chatty = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined); // the client hangs up on a 554 greeting
      socket.write(
        '554-mx7.internal.corp.example ESMTP banner, build 7.1.3\r\n554-backend db01.internal.corp.example 10.1.2.3\r\n554 No SMTP service here\r\n',
      );
    });
    await new Promise<void>((resolve) => chatty.listen(0, '127.0.0.1', resolve));
    try {
      const account = await addTestAccount(t.ctx, { port: (chatty.address() as { port: number }).port, ca: '' } as Provider, { name: 'chatty' });
      t.ctx.db.prepare('UPDATE accounts SET tls_ca = NULL WHERE id = ?').run(account.id);
      const diagnosis = await diagnoseAccount(
        (await t.ctx.accounts.get(account.id))!,
        { password: 'x' },
        { connectionTimeoutMs: 1000, hostname: 'mx.mailroom.test', guard },
      );
      expect(diagnosis.ok).toBe(false);
      expect(diagnosis.error).toMatch(/554/);
      expect(diagnosis.error).not.toMatch(/db01|10\.1\.2\.3|\n/);
    } finally {
      chatty.close();
    }
  });

  it('retries a webhook whose receiver is too slow to answer, until it is delivered', async () => {
    let slow = true;
    const delivered: string[] = [];
    const receiver = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (slow) return void setTimeout(() => res.end(), 2000);
        delivered.push(String(req.headers['webhook-id']));
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`;
      await t.ctx.webhooks.add(
        (await t.ctx.tenants.get('acme'))!.id,
        url,
        ['message.dismissed'],
        t.ctx.keyring().seal(newWebhookSecret()),
        new Date().toISOString(),
      );
      const message = (await t.ctx.messages.list({ tenant: 'acme', limit: 1 }))[0]!;
      await waitFor(async () => (await t.ctx.messages.get(message.id))?.status !== 'received', 10_000, 'processed');
      await dismissMessage(t.ctx, EVERY_TENANT, message.id, null);
      await waitFor(() => (t.ctx.db.prepare('SELECT attempts FROM webhook_deliveries').pluck().get() as number) >= 2, 10_000, 'two timed-out attempts');
      expect(t.ctx.db.prepare('SELECT last_error FROM webhook_deliveries').pluck().get()).toMatch(/Timeout/);
      slow = false;
      await waitFor(() => delivered.length > 0, 20_000, 'delivered once the receiver is quick');
    } finally {
      receiver.closeAllConnections();
      receiver.close();
    }
  });
});
