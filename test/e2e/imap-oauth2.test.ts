// IMAP with OAuth2 (XOAUTH2), as Gmail and Microsoft 365 take it, against a real
// Dovecot whose oauth2 passdb asks a local authorization server whose token it
// is: an OAuth2 account files its Sent copies with its grant, an inbox is read
// with one, and a grant the token endpoint refuses is named as the cause.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, addInbox, EVERY_TENANT, sendMessage, testInbox } from '../../src/operations/index.ts';
import { deliveredMessage, DOVECOT, dovecotUnavailable, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startProvider, startTokenEndpoint, type Provider } from '../helpers/provider.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI && !existsSync(DOVECOT)) throw new Error(unavailable);

const USER = 'recruiter@acme.com';
const ACCESS = 'ya29.imap-access';
let t: TestServer;
let provider: Provider;
let dovecot: Dovecot;
let endpoint: Awaited<ReturnType<typeof startTokenEndpoint>>;

const grant = (refreshToken: string) => ({ oauth2: { clientId: 'client-1', clientSecret: 'shh', refreshToken, tokenUrl: endpoint.url } });

describe.each(BACKENDS)('on %s', (backend) => {
  describe.skipIf(unavailable !== null)('IMAP with OAuth2', () => {
    beforeAll(async () => {
      endpoint = await startTokenEndpoint('1//refresh', ACCESS, USER);
      dovecot = await startDovecot({ oauth2IntrospectionUrl: endpoint.introspectionUrl });
      // The mailbox exists; it has no password anyone knows.
      dovecot.addUser(USER, 'unused-password');
      provider = await startProvider({ secure: false, accessTokens: new Set([ACCESS]), deliverTo: () => null });
      t = await startTestServer({ backend, overrides: { relay: { pollIntervalMs: 100 }, inboxes: { refreshMs: 200, retryMaxMs: 1000 } } });
    }, 30_000);

    afterAll(async () => {
      await t?.cleanup();
      await provider?.close();
      await dovecot?.stop();
      await endpoint?.close();
    });

    it('files the Sent copy of an OAuth2 account with its grant', async () => {
      const { account } = await addAccount(t.ctx, EVERY_TENANT, {
        tenant: 'acme',
        name: 'oauth',
        provider: 'custom',
        host: '127.0.0.1',
        port: provider.port,
        security: 'starttls',
        tlsCa: provider.ca,
        allowPlain: true,
        username: USER,
        credentials: grant('1//refresh'),
        from: USER,
        replyTo: 'careers',
        sentCopy: { host: '127.0.0.1', port: dovecot.port, security: 'none' },
      });
      const queued = await sendMessage(t.ctx, EVERY_TENANT, { tenant: 'acme', accountId: account.id, to: 'jane@candidate.example', subject: 'Hi', text: 'x' });
      await waitFor(async () => (await t.ctx.outbound.get(queued.id))?.sentCopy?.state === 'copied', 15_000, 'the copy filed with XOAUTH2');
      expect(dovecot.messages(USER, 'Sent').map((m) => m.raw.includes(queued.messageId))).toEqual([true]);
    });

    it('reads an inbox with a grant, and names a refused grant as the cause', async () => {
      dovecot.deliver(USER, 'INBOX', [deliveredMessage({ n: 'oauth', to: USER })]);
      const inbox = await addInbox(t.ctx, EVERY_TENANT, {
        tenant: 'acme',
        address: USER,
        host: '127.0.0.1',
        port: dovecot.port,
        security: 'none',
        allowPlain: true,
        credentials: grant('1//refresh'),
      });
      expect((await testInbox(t.ctx, EVERY_TENANT, inbox.id)).result).toMatchObject({ ok: true, messages: 1 });
      await waitFor(async () => (await t.ctx.inboxes.importedCount(inbox.id)) === 1, 15_000, 'the message read with XOAUTH2');

      const revoked = await addInbox(t.ctx, EVERY_TENANT, {
        tenant: 'acme',
        address: USER,
        folder: 'Sent',
        host: '127.0.0.1',
        port: dovecot.port,
        security: 'none',
        allowPlain: true,
        credentials: grant('1//revoked'),
      });
      expect((await testInbox(t.ctx, EVERY_TENANT, revoked.id)).result).toMatchObject({
        ok: false,
        stage: 'login',
        error: expect.stringMatching(/OAuth2 token endpoint refused/),
        advice: expect.stringMatching(/app password \(or OAuth2\)/),
      });
    });
  });
});
