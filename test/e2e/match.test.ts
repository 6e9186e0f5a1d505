// Matching over SMTP: sender matches, ambiguity, unknown senders, DMARC spoofs,
// subcompany fallback and tenant isolation, each as a real delivery.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { authenticatedSenders, isProcessed, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    // The test client is 127.0.0.1: these domains' SPF allows it, so mail from them is authenticated (aligned SPF, no DMARC).
    const zone = zoneFile(tempDir(), {
      ...authenticatedSenders(['candidate.example', 'family.example', 'candidat.example', 'acme.com']),
      'spoofed.example': { TXT: ['v=spf1 -all'] },
      '_dmarc.spoofed.example': { TXT: ['v=DMARC1; p=reject'] },
    });
    t = await startTestServer({ backend, overrides: { dns: { zoneFile: zone } } });
    await t.ctx.tenants.add({ slug: 'acme-de', parent: 'acme', domains: ['acme.de'], replyDomains: ['antworten.acme.de'], forwardAddresses: [] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane', emails: ['jane@candidate.example'] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-a', name: 'A', emails: ['shared@family.example'] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-b', name: 'B', emails: ['shared@family.example'] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-spoofed', name: 'S', emails: ['ceo@spoofed.example'] });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-jean', name: 'Jean', emails: ['jean@candidat.example'] });
    await t.ctx.candidates.upsert('globex', {
      externalId: 'g-jane',
      name: 'Jane at Globex',
      emails: ['jane@candidate.example', 'only-globex@candidate.example'],
    });
  });
  afterAll(() => t.cleanup());

  async function deliver(rcpt: string, from: string): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([rcpt], from))?.code).toBe(354);
    const id = queuedId(
      await c.command(`From: ${from}\r\nSubject: Re: Interview\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@x>\r\n\r\nTuesday works.\r\n.`),
    );
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  async function deliverFile(rcpt: string, path: string): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([rcpt], 'recruiter@acme.com'))?.code).toBe(354);
    const id = queuedId(await c.command(`${readFileSync(path, 'latin1')}.`));
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  describe('matching over SMTP', () => {
    it("puts an answer in a known thread on that thread's candidate, whatever address it came from", async () => {
      const send = async (from: string, headers: string): Promise<string> => {
        const c = await RawSmtp.connect(t.port);
        expect((await c.startData(['careers@replies.acme.com'], from))?.code).toBe(354);
        const id = queuedId(await c.command(`From: ${from}\r\n${headers}\r\n\r\nHello\r\n.`));
        c.close();
        await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
        return id;
      };
      const first = await send('jane@candidate.example', 'Subject: Application\r\nMessage-ID: <thread-1@candidate.example>');
      const second = await send(
        'jane.phone@mobile.example',
        'Subject: Re: Application\r\nIn-Reply-To: <thread-1@candidate.example>\r\nReferences: <thread-1@candidate.example>',
      );
      expect((await t.ctx.messages.get(first))?.decision).toMatchObject({ method: 'sender', candidate: { externalId: 'c-jane' } });
      expect((await t.ctx.messages.get(second))?.decision).toMatchObject({ status: 'assigned', method: 'header', candidate: { externalId: 'c-jane' } });
    });

    it.each([
      ['fixtures/classify/gmail-forward.eml', 'c-jane'],
      ['fixtures/classify/outlook-forward-fr.eml', 'c-jean'],
      ['fixtures/classify/attached-forward.eml', 'c-jane'],
    ])("matches a colleague's hand forward (%s) to the original sender", async (path, candidate) => {
      const message = (await t.ctx.messages.get(await deliverFile('acme-jobs@in.mailroom.test', path)))!;
      expect(message.status).toBe('assigned');
      expect(message.decision?.candidate?.externalId).toBe(candidate);
    });

    it.each([
      ['careers@replies.acme.com', 'jane@candidate.example', { status: 'assigned', method: 'sender', candidate: 'c-jane' }],
      ['careers@replies.acme.com', 'Shared@Family.Example', { status: 'unassigned', reason: 'ambiguous_sender', suggestions: ['c-a', 'c-b'] }],
      ['careers@replies.acme.com', 'stranger@else.example', { status: 'unassigned', reason: 'unknown_sender' }],
      ['careers@replies.acme.com', 'ceo@spoofed.example', { status: 'unassigned', reason: 'dmarc_fail' }],
      // a subcompany falls back to its parent's candidates
      ['careers@antworten.acme.de', 'jane@candidate.example', { status: 'assigned', candidate: 'c-jane' }],
      // tenants never see each other: the same address means Globex's own candidate there
      ['careers@replies.globex.com', 'jane@candidate.example', { status: 'assigned', candidate: 'g-jane' }],
      ['careers@replies.acme.com', 'only-globex@candidate.example', { status: 'unassigned', reason: 'unknown_sender' }],
    ])('to %s from %s', async (rcpt, from, expected) => {
      const message = (await t.ctx.messages.get(await deliver(rcpt, from)))!;
      const decision = message.decision!;
      expect(message.status).toBe(expected.status);
      if ('candidate' in expected) expect(decision.candidate?.externalId).toBe(expected.candidate);
      if ('method' in expected) expect(decision.method).toBe(expected.method);
      if ('reason' in expected) expect(decision.reason).toBe(expected.reason);
      if ('suggestions' in expected) expect(decision.suggestions.map((s) => s.externalId)).toEqual(expected.suggestions);
    });
  });
});
