// Authentication end to end over SMTP, DNS from a zone file: DKIM-signed mail
// that passes, a spoof under p=reject that fails, and a DNS failure that makes
// the job wait and retry instead of deciding on half a result.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exampleZone, makeSigner, message, sign, type TestSigner } from '../helpers/dkim.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { isProcessed, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';

let signer: TestSigner;
let t: TestServer | null = null;
beforeAll(() => {
  signer = makeSigner('example.org');
});
afterEach(async () => {
  await t?.cleanup();
  t = null;
});

/** example.org's zone, with SPF allowing the loopback address the tests send from. */
function zone(overrides: Record<string, unknown> = {}): string {
  return zoneFile(tempDir(), { ...exampleZone(signer), 'example.org': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] }, ...overrides });
}

async function deliver(server: TestServer, mailFrom: string, data: string): Promise<string> {
  const c = await RawSmtp.connect(server.port);
  expect((await c.startData(['careers@replies.acme.com'], mailFrom))?.code).toBe(354);
  const reply = await c.command(`${data}.`);
  c.close();
  return queuedId(reply);
}

describe('authentication over SMTP', () => {
  it('records spf, dkim and dmarc pass for signed mail from an allowed address', async () => {
    t = await startTestServer({ overrides: { dns: { zoneFile: zone() } } });
    const id = await deliver(t, 'jane@example.org', await sign(message('Jane <jane@example.org>'), signer));
    await waitFor(async () => isProcessed((await t!.ctx.messages.get(id))?.status), 10_000, 'processed');
    expect((await t.ctx.messages.get(id))?.auth).toMatchObject({
      spf: 'pass',
      dkim: 'pass',
      dmarc: 'pass',
      dmarcPolicy: 'reject',
      dkimDomains: ['example.org'],
    });
    expect((await t.ctx.messages.get(id))?.auth?.authenticationResults).toMatch(/^mx\.mailroom\.test; /);
  });

  it('records dmarc fail for a spoof of a p=reject domain', async () => {
    t = await startTestServer({ overrides: { dns: { zoneFile: zone({ 'example.org': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] } }) } } });
    const id = await deliver(t, 'ceo@example.org', message('CEO <ceo@example.org>'));
    await waitFor(async () => isProcessed((await t!.ctx.messages.get(id))?.status), 10_000, 'processed');
    expect((await t.ctx.messages.get(id))?.auth).toMatchObject({ spf: 'fail', dmarc: 'fail', dmarcPolicy: 'reject' });
  });

  it('keeps DKIM and DMARC passing through a Gmail auto-forward, and says who forwarded', async () => {
    // SPF for example.org does not allow the forwarding server (us at 127.0.0.1): only DKIM can pass.
    t = await startTestServer({ overrides: { dns: { zoneFile: zone({ 'example.org': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] } }) } } });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane', emails: ['jane@example.org'] });
    const signed = await sign(message('Jane <jane@example.org>'), signer);
    // Gmail adds these above the signature when it forwards; DKIM does not cover them.
    const forwarded = `X-Forwarded-To: acme-jobs@in.mailroom.test\r\nX-Forwarded-For: jobs@acme.com acme-jobs@in.mailroom.test\r\n${signed}`;
    const id = await deliver(t, 'jobs+caf_=acme-jobs=in.mailroom.test@acme.com', forwarded);
    await waitFor(async () => isProcessed((await t!.ctx.messages.get(id))?.status), 10_000, 'processed');
    const stored = (await t.ctx.messages.get(id))!;
    expect(stored.auth).toMatchObject({ dkim: 'pass', dmarc: 'pass', dkimDomains: ['example.org'] });
    expect(stored.auth?.spf).not.toBe('pass');
    expect(stored.classification?.forward).toMatchObject({ manual: false, originalFrom: { address: 'jane@example.org' }, forwardedBy: 'jobs@acme.com' });
    // Still Jane's, by her own (DKIM-verified) address.
    expect(stored).toMatchObject({ status: 'assigned', decision: { method: 'sender', candidate: { externalId: 'c-jane' } } });
  });

  it('retries later when DNS fails temporarily, instead of deciding', async () => {
    t = await startTestServer({ overrides: { dns: { zoneFile: zone({ 'example.org': { TXT: 'SERVFAIL' } }) }, worker: { retryBaseMs: 60_000 } } });
    const id = await deliver(t, 'jane@example.org', message('Jane <jane@example.org>'));
    const job = (): { state: string; attempts: number; last_error: string | null; run_after: number } =>
      t!.ctx.db.prepare('SELECT state, attempts, last_error, run_after FROM jobs WHERE message_id = ?').get(id) as never;
    await waitFor(() => job().attempts === 1 && job().state === 'queued', 10_000, 'a retry scheduled');
    expect(job().last_error).toMatch(/DNS lookup failed temporarily/);
    expect(job().run_after).toBeGreaterThan(Date.now() + 30_000);
    expect((await t.ctx.messages.get(id))?.status).toBe('received');
  });
});
