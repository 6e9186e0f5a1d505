// Matching trusts only an authenticated sender, over real SMTP with a static DNS
// zone: each attack a stranger can try to get mail filed under a candidate of
// their choice, and the legitimate mail that must keep matching.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/process.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { forwardWithArc, gmailForwardOfJane, makeSigner, sign, type TestSigner } from '../helpers/dkim.ts';
import { isProcessed, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

// The test client connects from 127.0.0.1: that is the address SPF records allow here.
const exampleOrg = makeSigner('example.org');
const acme = makeSigner('acme.com');
const forwarder = makeSigner('forwarder.test', 'arc1');
const untrustedForwarder = makeSigner('lists.untrusted.test', 'arc1');

function dkimRecord(s: TestSigner): Record<string, { TXT: string[] }> {
  return { [`${s.selector}._domainkey.${s.domain}`]: { TXT: [s.record] } };
}

const zone = {
  // The candidate's domain: SPF for its own servers only, DMARC p=reject, a DKIM key.
  'example.org': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] },
  '_dmarc.example.org': { TXT: ['v=DMARC1; p=reject'] },
  ...dkimRecord(exampleOrg),
  // The attacker's own domain: its SPF and DMARC pass for mail from here.
  'evil.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  '_dmarc.evil.example': { TXT: ['v=DMARC1; p=reject'] },
  // The tenant's domain: only its provider may send, DMARC p=reject; it signs with DKIM.
  'acme.com': { TXT: ['v=spf1 ip4:192.0.2.99 -all'] },
  '_dmarc.acme.com': { TXT: ['v=DMARC1; p=reject'] },
  ...dkimRecord(acme),
  // A small company's domain with SPF and nothing else.
  'spfonly.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  // A bulk mailer sending for example.org (SPF for its own bounce domain).
  'mailer.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  // Forwarders: their SPF allows the test client; their ARC keys.
  'forwarder.test': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  ...dkimRecord(forwarder),
  'lists.untrusted.test': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  ...dkimRecord(untrustedForwarder),
};

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ backend, overrides: { dns: { zoneFile: zoneFile(tempDir(), zone) }, auth: { trustedArcSealers: 'forwarder.test' } } });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane Doe', emails: ['jane.doe@example.org'] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-noah', name: 'Noah', emails: ['noah@nodmarc.example'] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-sam', name: 'Sam', emails: ['sam@spfonly.example'] });
  }, 30_000);
  afterAll(() => t.cleanup());

  async function deliver(mailFrom: string, rcpt: string, message: string): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([rcpt], mailFrom))?.code).toBe(354);
    const id = queuedId(await c.command(`${message.replace(/\r?\n/g, '\r\n').replace(/(\r\n)?$/, '\r\n')}.`));
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  function headers(from: string, extra = '', subject = 'Application'): string {
    return `From: ${from}\r\nTo: acme-jobs@in.mailroom.test\r\nSubject: ${subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@x.example>\r\n${extra}`;
  }

  const forwardOfJane = gmailForwardOfJane('jobs@acme.com');

  async function decisionOf(id: string): Promise<{
    status: string | undefined;
    reason: string | null | undefined;
    candidate: string | null;
    suggestions: string[];
    evidence: Record<string, unknown>;
  }> {
    const m = await t.ctx.messages.get(id);
    const d = m?.decision;
    return {
      status: m?.status,
      reason: d?.reason,
      candidate: d?.candidate?.externalId ?? null,
      suggestions: (d?.suggestions ?? []).map((s) => s.externalId),
      evidence: d?.evidence ?? {},
    };
  }

  describe('attacks that must not file mail under a candidate', () => {
    it('X-Original-From from a stranger whose own SPF and DMARC pass', async () => {
      const id = await deliver(
        'mallory@evil.example',
        'acme-jobs@in.mailroom.test',
        `${headers('mallory@evil.example', 'X-Original-From: Jane Doe <jane.doe@example.org>\r\n')}\r\nHi, it's me, Jane.\r\n`,
      );
      const d = await decisionOf(id);
      expect(d).toMatchObject({ status: 'unassigned', reason: 'unknown_sender', candidate: null });
      expect(d.evidence).toMatchObject({
        sender: 'mallory@evil.example',
        hints: { 'x-original-from': 'Jane Doe <jane.doe@example.org>' },
        authentication: { authenticated: true, via: 'dmarc' },
      });
    });

    it("a forged tenant address (failing the tenant's DMARC p=reject) with a forwarded block", async () => {
      const id = await deliver('hr@acme.com', 'acme-jobs@in.mailroom.test', `${headers('HR <hr@acme.com>', '', 'Fwd: Application')}\r\n${forwardOfJane}`);
      const d = await decisionOf(id);
      expect(d).toMatchObject({ status: 'unassigned', reason: 'dmarc_fail', candidate: null });
      expect(d.evidence).toMatchObject({
        sender: 'hr@acme.com',
        forward: { originalFrom: 'jane.doe@example.org', trusted: false },
        authentication: { authenticated: false },
      });
    });

    it('two From mailboxes, one of them the candidate', async () => {
      const id = await deliver('mallory@evil.example', 'careers@replies.acme.com', `${headers('jane.doe@example.org, mallory@evil.example')}\r\nHello.\r\n`);
      const d = await decisionOf(id);
      expect(d).toMatchObject({ status: 'unassigned', reason: 'unauthenticated_sender', candidate: null, suggestions: ['c-jane'] });
      expect(d.evidence).toMatchObject({ authentication: { authenticated: false, detail: 'the From field names 2 mailboxes' } });
    });

    it('a plain forged From on a domain without SPF, DKIM or DMARC', async () => {
      const id = await deliver('noah@nodmarc.example', 'careers@replies.acme.com', `${headers('Noah <noah@nodmarc.example>')}\r\nHello.\r\n`);
      const d = await decisionOf(id);
      expect(d).toMatchObject({ status: 'unassigned', reason: 'unauthenticated_sender', candidate: null, suggestions: ['c-noah'] });
      expect(String((d.evidence.authentication as { detail: string }).detail)).toMatch(/nodmarc\.example publishes no DMARC record/);
      // What an operator reads.
      const shown = runCli(['unassigned', 'show', id], t.cliEnv).stdout;
      expect(shown).toMatch(/why here\s+unauthenticated_sender/);
      expect(shown).toMatch(/suggestions\s+c-noah \(Noah\)/);
      expect(shown).toMatch(/sender\s+not authenticated \(nodmarc\.example publishes no DMARC record/);
    });

    it('an ARC seal from a sealer nobody configured is not believed', async () => {
      const original = await sign(`${headers('Jane Doe <jane.doe@example.org>')}\r\nHello from Jane.\r\n`, exampleOrg);
      const broken = `${original.replace('Hello from Jane.', 'Hello from Jane, via a list.')}`;
      const sealed = await forwardWithArc(
        broken,
        untrustedForwarder,
        'lists.untrusted.test; dmarc=pass header.from=example.org; dkim=pass header.d=example.org',
      );
      const id = await deliver('bounce@lists.untrusted.test', 'careers@replies.acme.com', sealed);
      expect(await decisionOf(id)).toMatchObject({ status: 'unassigned', reason: 'dmarc_fail', suggestions: ['c-jane'] });
    });
  });

  describe('authenticated mail that keeps matching', () => {
    it('aligned SPF without DMARC', async () => {
      const id = await deliver('sam@spfonly.example', 'careers@replies.acme.com', `${headers('Sam <sam@spfonly.example>')}\r\nHello.\r\n`);
      const d = await decisionOf(id);
      expect(d).toMatchObject({ status: 'assigned', candidate: 'c-sam' });
      expect(d.evidence).toMatchObject({ authentication: { via: 'spf_aligned' } });
    });

    it('DKIM through a third-party mailer (SPF unaligned)', async () => {
      const signed = await sign(`${headers('Jane Doe <jane.doe@example.org>')}\r\nHello.\r\n`, exampleOrg);
      const id = await deliver('bounces+123@mailer.example', 'careers@replies.acme.com', signed);
      const d = await decisionOf(id);
      expect(d).toMatchObject({ status: 'assigned', candidate: 'c-jane' });
      expect(d.evidence).toMatchObject({ authentication: { via: 'dmarc' } });
    });

    it("a DKIM-signed forward by the tenant's own person names the original sender", async () => {
      const signed = await sign(`${headers('Rita Recruiter <rita@acme.com>', '', 'Fwd: Application')}\r\n${forwardOfJane}`, acme);
      const id = await deliver('rita@acme.com', 'acme-jobs@in.mailroom.test', signed);
      const d = await decisionOf(id);
      expect(d).toMatchObject({ status: 'assigned', candidate: 'c-jane' });
      expect(d.evidence).toMatchObject({ sender: 'jane.doe@example.org', forward: { forwardedBy: 'rita@acme.com', trusted: true } });
    });

    it('an ARC-sealed automatic forward from a trusted sealer, whose hop broke the DKIM signature', async () => {
      const original = await sign(`${headers('Jane Doe <jane.doe@example.org>')}\r\nHello from Jane.\r\n`, exampleOrg);
      // The forwarder added a footer: the body hash no longer matches, DMARC fails here.
      const broken = original.replace('Hello from Jane.', 'Hello from Jane.\r\n-- \r\nScanned by forwarder.test');
      const sealed = await forwardWithArc(
        broken,
        forwarder,
        'mx.forwarder.test; dkim=pass header.d=example.org; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org',
      );
      const id = await deliver('SRS0=abcd=ZZ=example.org=jane.doe@forwarder.test', 'acme-jobs@in.mailroom.test', sealed);
      const message = await t.ctx.messages.get(id);
      expect(message?.auth).toMatchObject({ dmarc: 'fail', arc: 'pass' });
      const d = await decisionOf(id);
      expect(d).toMatchObject({ status: 'assigned', candidate: 'c-jane' });
      expect(d.evidence).toMatchObject({ authentication: { via: 'arc' } });
    });
  });
});
