// The relay end to end: accounts on a local provider (smtp-server with AUTH over
// STARTTLS and implicit TLS, XOAUTH2 with a local token endpoint), the outbound
// queue's outcomes under scripted failures, and the whole round trip: send ->
// provider -> a reply to the token address, a reply by In-Reply-To from another
// address, a forged and a foreign token, and a bounce.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { composeOutbound } from '../../src/relay/compose.ts';
import type { OutboundMessage } from '../../src/store/index.ts';
import { authenticate } from 'mailauth';
import { zoneResolver } from '../../src/dns/index.ts';
import { addTestAccount } from '../helpers/accounts.ts';
import { makeSigner } from '../helpers/dkim.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startProvider, startTokenEndpoint, type Provider } from '../helpers/provider.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let provider: Provider;
  let tlsProvider: Provider;

  function send(ctx: Context, request: Parameters<typeof composeOutbound>[1]): Promise<OutboundMessage> {
    return composeOutbound({ repositories: ctx, keyring: ctx.keyring(), now: new Date() }, request);
  }

  async function settled(id: string, timeoutMs = 10_000): Promise<OutboundMessage> {
    await waitFor(async () => ['sent', 'failed', 'deferred'].includes((await t.ctx.outbound.get(id))?.status ?? ''), timeoutMs, `outbound ${id} settled`);
    return (await t.ctx.outbound.get(id))!;
  }

  async function deliver(rcpt: string, from: string, headers: string, body = 'Tuesday works.'): Promise<string> {
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData([rcpt], from))?.code).toBe(354);
    const id = queuedId(await c.command(`From: ${from}\r\n${headers}\r\n\r\n${body}\r\n.`));
    c.close();
    await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
    return id;
  }

  beforeAll(async () => {
    t = await startTestServer({ backend, overrides: { relay: { pollIntervalMs: 100, retryBaseMs: 300, retryMaxMs: 1000 } } });
    const toOurMx = (to: readonly string[]): number | null => (to.every((a) => a.endsWith('@replies.acme.com')) ? t.port : null);
    provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' }, deliverTo: toOurMx });
    tlsProvider = await startProvider({
      secure: true,
      users: { 'recruiter@acme.com': 'app-password-1' },
      accessTokens: new Set(['ya29.test-access']),
      deliverTo: toOurMx,
    });
    await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane', emails: ['jane@candidate.example'] });
    await t.ctx.candidates.upsert('globex', { externalId: 'g-jane', name: 'Jane at Globex', emails: ['jane@candidate.example'] });
  });
  afterAll(async () => {
    await t.cleanup();
    await provider.close();
    await tlsProvider.close();
  });

  describe('the relay', () => {
    it('sends through the account over STARTTLS with our Message-ID and the token Reply-To, and replies come back to the candidate', async () => {
      await addTestAccount(t.ctx, provider, { name: 'main', isDefault: true });
      const jane = (await t.ctx.candidates.get('acme', 'c-jane'))!;
      const queued = await send(t.ctx, {
        tenant: 'acme',
        to: 'jane@candidate.example',
        subject: 'Your interview',
        text: 'Does Tuesday work?',
        candidate: jane,
      });
      expect(queued.replyTo).toMatch(/^careers\+[a-z2-7]{10,}@replies\.acme\.com$/);
      const sent = await settled(queued.id);
      expect(sent).toMatchObject({ status: 'sent', attempts: 1 });
      expect(sent.lastReply).toMatch(/^250/);
      const mail = provider.received.find((m) => m.raw.includes(queued.messageId))!;
      expect(mail).toMatchObject({ from: 'recruiter@acme.com', to: ['jane@candidate.example'], user: 'recruiter@acme.com' });
      expect(mail.raw).toContain(`Message-ID: <${queued.messageId}>`);
      expect(mail.raw).toContain(`Reply-To: ${queued.replyTo}`);

      // Jane answers to the Reply-To (the token) ...
      const byToken = (await t.ctx.messages.get(
        await deliver(queued.replyTo!, 'jane@candidate.example', `Subject: Re: Your interview\r\nIn-Reply-To: <${queued.messageId}>`),
      ))!;
      // Matched by its token, it still says which of our messages it answers (its In-Reply-To names it).
      expect(byToken).toMatchObject({ status: 'assigned', conversationId: queued.conversationId, outboundId: queued.id });
      expect(byToken.decision).toMatchObject({ method: 'token', candidate: { externalId: 'c-jane' }, evidence: { kid: 'a' } });
      // ... and from her phone, to the plain address, by In-Reply-To only.
      const byHeader = (await t.ctx.messages.get(
        await deliver('careers@replies.acme.com', 'jane.phone@mobile.example', `Subject: Re: Your interview\r\nIn-Reply-To: <${queued.messageId}>`),
      ))!;
      expect(byHeader).toMatchObject({ status: 'assigned', conversationId: queued.conversationId, outboundId: queued.id });
      expect(byHeader.decision).toMatchObject({ method: 'header', candidate: { externalId: 'c-jane' }, evidence: { header: 'sent' } });

      // Continuing the conversation threads the next message.
      const next = await send(t.ctx, {
        tenant: 'acme',
        to: 'jane@candidate.example',
        subject: 'Re: Your interview',
        text: 'Great.',
        conversationId: queued.conversationId,
      });
      expect(next.candidateId).toBe(jane.id);
      expect(next.references.length).toBeGreaterThan(0);
      expect(next.inReplyTo).toMatch(/^<.+>$/);
    });

    it('never matches a forged token, nor a token another tenant issued', async () => {
      const globexAccount = await addTestAccount(t.ctx, provider, { tenant: 'globex', name: 'globex-main', isDefault: true });
      const theirs = await send(t.ctx, {
        tenant: 'globex',
        accountId: globexAccount.id,
        to: 'jane@candidate.example',
        subject: 'Globex role',
        text: 'Hi',
        candidate: await t.ctx.candidates.get('globex', 'g-jane'),
      });
      const token = theirs.replyTo!.slice(theirs.replyTo!.indexOf('+') + 1, theirs.replyTo!.indexOf('@'));
      const foreign = (await t.ctx.messages.get(await deliver(`careers+${token}@replies.acme.com`, 'jane@candidate.example', 'Subject: Re: Globex role')))!;
      expect(foreign).toMatchObject({ status: 'unassigned', decision: { reason: 'bad_token', candidate: null } });
      const forged = (await t.ctx.messages.get(await deliver('careers+a2zzzzzzzzzz@replies.acme.com', 'jane@candidate.example', 'Subject: Re: hello')))!;
      expect(forged).toMatchObject({ status: 'unassigned', decision: { reason: 'bad_token' } });
      // A real conversation of this tenant, with the signature guessed: still no match.
      const ours = await send(t.ctx, {
        tenant: 'acme',
        to: 'jane@candidate.example',
        subject: 'Acme role',
        text: 'Hi',
        candidate: await t.ctx.candidates.get('acme', 'c-jane'),
      });
      const real = ours.replyTo!.slice(ours.replyTo!.indexOf('+') + 1, ours.replyTo!.indexOf('@'));
      const guessed = `${real.slice(0, -8)}${real.slice(-8) === 'aaaaaaaa' ? 'bbbbbbbb' : 'aaaaaaaa'}`;
      const tampered = (await t.ctx.messages.get(await deliver(`careers+${guessed}@replies.acme.com`, 'jane@candidate.example', 'Subject: Re: Acme role')))!;
      expect(tampered).toMatchObject({ status: 'unassigned', decision: { reason: 'bad_token', candidate: null } });
    });

    it('a hard bounce attaches to the message it reports on and marks the address bouncing', async () => {
      await t.ctx.candidates.upsert('acme', { externalId: 'c-gone', name: 'Gone', emails: ['gone@candidate.example', 'gone2@candidate.example'] });
      const queued = await send(t.ctx, {
        tenant: 'acme',
        to: 'gone@candidate.example',
        subject: 'Hello',
        text: 'Hi',
        candidate: await t.ctx.candidates.get('acme', 'c-gone'),
      });
      await settled(queued.id);
      const dsn = [
        'Subject: Delivery Status Notification (Failure)',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--b1',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.candidate.example',
        '',
        'Final-Recipient: rfc822; gone@candidate.example',
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
        '',
        '--b1',
        'Content-Type: text/rfc822-headers',
        '',
        `Message-ID: <${queued.messageId}>`,
        'Subject: Hello',
        '',
        '--b1--',
      ].join('\r\n');
      const id = await deliver(
        'careers@replies.acme.com',
        'MAILER-DAEMON@mx.candidate.example',
        dsn.slice(0, dsn.indexOf('\r\n\r\n')),
        dsn.slice(dsn.indexOf('\r\n\r\n') + 4),
      );
      const bounce = (await t.ctx.messages.get(id))!;
      expect(bounce).toMatchObject({
        status: 'assigned',
        outboundId: queued.id,
        conversationId: queued.conversationId,
        decision: { candidate: { externalId: 'c-gone' }, evidence: { via: 'message_id', hard: true } },
      });
      expect(bounce.classification?.kind).toBe('bounce');
      expect((await t.ctx.outbound.get(queued.id))?.bounced).toMatchObject({ hard: true, status: '5.1.1' });
      const gone = (await t.ctx.candidates.get('acme', 'c-gone'))!;
      expect(gone.bouncing.map((b) => b.email)).toEqual(['gone@candidate.example']);
    });

    it('defers on 4xx and on a dropped connection (then sends, same Message-ID), fails on 5xx, and holds mail when the login is refused', async () => {
      const account = await addTestAccount(t.ctx, provider, { name: 'scripted' });
      const go = (subject: string): Promise<OutboundMessage> =>
        send(t.ctx, { tenant: 'acme', accountId: account.id, to: 'someone@else.example', subject, text: 'x' });

      provider.script.rcpt.push({ code: 450, text: '4.2.1 mailbox busy, try later' });
      const busy = await go('busy');
      expect(await settled(busy.id)).toMatchObject({
        status: 'deferred',
        lastReply: expect.stringContaining('450 4.2.1'),
        lastFailure: { permanent: false, code: 450, enhancedCode: '4.2.1', cause: 'refused' },
      });
      await waitFor(async () => (await t.ctx.outbound.get(busy.id))?.status === 'sent', 10_000, 'resent after the deferral');
      expect((await t.ctx.outbound.get(busy.id))?.attempts).toBe(2);

      provider.script.mailFrom.push({ code: 421, text: '4.7.0 Temporary System Problem. Try again later' });
      const closing = await go('closing');
      expect(await settled(closing.id)).toMatchObject({ status: 'deferred', lastReply: expect.stringContaining('421 4.7.0') });
      await waitFor(async () => (await t.ctx.outbound.get(closing.id))?.status === 'sent', 10_000, 'resent after the 421');

      provider.dropOnData = 1;
      const dropped = await go('dropped');
      await waitFor(async () => (await t.ctx.outbound.get(dropped.id))?.status === 'sent', 10_000, 'sent after the drop');
      const copies = provider.received.filter((m) => m.raw.includes(dropped.messageId));
      expect(copies).toHaveLength(1);
      expect((await t.ctx.outbound.get(dropped.id))?.attempts).toBe(2);

      provider.script.rcpt.push({ code: 550, text: '5.1.1 no such user' });
      const rejected = await go('rejected');
      expect(await settled(rejected.id)).toMatchObject({
        status: 'failed',
        lastReply: expect.stringContaining('550 5.1.1'),
        lastFailure: { permanent: true, code: 550, enhancedCode: '5.1.1', line: '550 5.1.1 no such user', cause: 'refused' },
      });

      provider.script.auth.push({ code: 535, text: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' });
      const refused = await send(t.ctx, {
        tenant: 'acme',
        accountId: (await addTestAccount(t.ctx, provider, { name: 'refused' })).id,
        to: 'someone@else.example',
        subject: 'auth',
        text: 'x',
      });
      expect(await settled(refused.id)).toMatchObject({
        status: 'deferred',
        lastFailure: { permanent: true, code: 535, enhancedCode: '5.7.139', cause: 'auth' },
      });
      expect(await t.ctx.accounts.get(refused.accountId)).toMatchObject({ status: 'failing', lastError: expect.stringContaining('5.7.139') });

      // A password sealed with a key this server no longer has (key file lost): held the same way, and said so.
      const unreadable = await addTestAccount(t.ctx, provider, { name: 'unreadable' });
      await t.ctx.sql.prepare('UPDATE accounts SET secret = ? WHERE id = ?').run('v1.lostkey.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBB', unreadable.id);
      const held = await send(t.ctx, { tenant: 'acme', accountId: unreadable.id, to: 'someone@else.example', subject: 'held', text: 'x' });
      expect(await settled(held.id)).toMatchObject({
        status: 'deferred',
        lastReply: expect.stringContaining('cannot be opened'),
        lastFailure: { permanent: true, code: null, line: null, cause: 'local' },
      });
      expect(await t.ctx.accounts.get(unreadable.id)).toMatchObject({
        status: 'failing',
        lastError: expect.stringMatching(/cannot be opened: they were sealed with a secret key this server does not have/),
      });
      // The key's id (a fingerprint) stays in the operator's log, not in what a tenant's API shows.
      expect((await t.ctx.accounts.get(unreadable.id))?.lastError).not.toContain('lostkey');
    });

    it('signs with DKIM for the sending domain when the account has a key, and the signature verifies', async () => {
      const signer = makeSigner('acme.com', 'mr2026');
      const account = await addTestAccount(t.ctx, provider, { name: 'dkim', dkim: signer });
      const queued = await send(t.ctx, {
        tenant: 'acme',
        accountId: account.id,
        to: 'jane@candidate.example',
        subject: 'Signed',
        text: 'Signed body',
        html: '<p>Signed body</p>',
      });
      expect(await settled(queued.id)).toMatchObject({ status: 'sent' });
      const raw = provider.received.find((m) => m.raw.includes(queued.messageId))!.raw;
      expect(raw).toMatch(/^DKIM-Signature: .*d=acme\.com/m);
      const resolver = zoneResolver({ [`mr2026._domainkey.acme.com`]: { TXT: [signer.record] } });
      const result = await authenticate(raw, { ip: '127.0.0.1', helo: 'x', sender: 'recruiter@acme.com', resolver, disableArc: true } as Parameters<
        typeof authenticate
      >[1]);
      expect(result.dkim.results.map((r) => r.status.result)).toEqual(['pass']);
    });

    it('sends over implicit TLS with XOAUTH2, trading the refresh token at the token endpoint', async () => {
      const endpoint = await startTokenEndpoint('1//refresh-token', 'ya29.test-access');
      try {
        const account = await addTestAccount(t.ctx, tlsProvider, {
          name: 'oauth',
          security: 'tls',
          oauth2: { clientId: 'client-1', clientSecret: 'shh', refreshToken: '1//refresh-token', tokenUrl: endpoint.url },
        });
        const queued = await send(t.ctx, { tenant: 'acme', accountId: account.id, to: 'jane@candidate.example', subject: 'OAuth', text: 'x' });
        expect(await settled(queued.id)).toMatchObject({ status: 'sent' });
        expect(endpoint.requests).toBeGreaterThanOrEqual(1);
        expect(tlsProvider.received.some((m) => m.raw.includes(queued.messageId))).toBe(true);
      } finally {
        await endpoint.close();
      }
    });
  });
});
