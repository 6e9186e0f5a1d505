// A copy of every sent message in the account's Sent folder, against a real
// Dovecot (test/helpers/dovecot.ts): the bytes the provider received, flagged
// \Seen, in the folder marked \Sent or the one configured; a failing IMAP side
// is retried apart and never sends the mail again.
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, EVERY_TENANT, sendMessage, testAccount, type AccountInput } from '../../src/operations/index.ts';
import { existsSync } from 'node:fs';
import { DOVECOT, dovecotUnavailable, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

const unavailable = dovecotUnavailable();
// CI installs Dovecot (.ci/run): there, a missing Dovecot is a failure, not a skip.
if (unavailable && process.env.CI && !existsSync(DOVECOT)) throw new Error(unavailable);

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let provider: Provider;
  let dovecot: Dovecot;
  let plainDovecot: Dovecot;

  const base = (name: string, imapPort: number, over: Partial<AccountInput['sentCopy']> = {}): AccountInput => ({
    tenant: 'acme',
    name,
    provider: 'custom',
    host: '127.0.0.1',
    port: provider.port,
    security: 'starttls',
    tlsCa: provider.ca,
    username: 'recruiter@acme.com',
    credentials: { password: 'app-password-1' },
    from: 'recruiter@acme.com',
    replyTo: 'careers',
    allowPlain: true,
    sentCopy: { host: '127.0.0.1', port: imapPort, security: 'none', username: 'recruiter@acme.com', password: 'imap-password', ...over },
  });

  async function fetchSent(d: Dovecot, folder: string): Promise<{ source: string; flags: string[] }[]> {
    const client = new ImapFlow({ host: '127.0.0.1', port: d.port, secure: false, auth: { user: 'recruiter@acme.com', pass: 'imap-password' }, logger: false });
    await client.connect();
    const lock = await client.getMailboxLock(folder);
    try {
      const found: { source: string; flags: string[] }[] = [];
      for await (const m of client.fetch('1:*', { source: true, flags: true })) found.push({ source: m.source?.toString() ?? '', flags: [...(m.flags ?? [])] });
      return found;
    } catch {
      return [];
    } finally {
      lock.release();
      await client.logout();
    }
  }

  describe.skipIf(unavailable !== null)('sent copies over IMAP', () => {
    beforeAll(async () => {
      t = await startTestServer({ backend, overrides: { relay: { pollIntervalMs: 100 } } });
      provider = await startProvider({ secure: false, users: { 'recruiter@acme.com': 'app-password-1' }, deliverTo: () => null });
      dovecot = await startDovecot();
      dovecot.addUser('recruiter@acme.com', 'imap-password');
      plainDovecot = await startDovecot({ specialUse: false, sentName: 'Sent Items' });
      plainDovecot.addUser('recruiter@acme.com', 'imap-password');
    }, 30_000);

    afterAll(async () => {
      await t?.cleanup();
      await provider?.close();
      await dovecot?.stop();
      await plainDovecot?.stop();
    });

    it('files the exact bytes the provider received in the folder marked \\Sent, flagged \\Seen, once', async () => {
      const { account } = await addAccount(t.ctx, EVERY_TENANT, base('with-imap', dovecot.port));
      expect(account.sentCopy).toMatchObject({ mode: 'imap', host: '127.0.0.1', ownCredentials: true });
      const queued = await sendMessage(t.ctx, EVERY_TENANT, {
        tenant: 'acme',
        accountId: account.id,
        to: 'jane@candidate.example',
        subject: 'Interview',
        text: 'Tuesday?',
      });
      await waitFor(async () => (await t.ctx.outbound.get(queued.id))?.sentCopy?.state === 'copied', 15_000, 'copied');
      const sent = await fetchSent(dovecot, 'Sent');
      expect(sent).toHaveLength(1);
      const received = provider.received.find((r) => r.raw.includes(queued.messageId));
      expect(received).toBeDefined();
      expect(sent[0]!.source).toContain(`Message-ID: <${queued.messageId}>`);
      // The provider's copy has the dot-stuffing undone and CRLF line ends, as IMAP keeps it.
      expect(sent[0]!.source.replace(/\r\n/g, '\n')).toBe(received!.raw.replace(/\r\n/g, '\n'));
      expect(sent[0]!.flags).toContain('\\Seen');
      expect(await t.ctx.outbound.get(queued.id)).toMatchObject({
        status: 'sent',
        attempts: 1,
        sentCopy: { state: 'copied', folder: 'Sent', lastError: null },
      });
    });

    it('uses the configured folder where the server marks none \\Sent, and says so when none is configured', async () => {
      const { account: named } = await addAccount(t.ctx, EVERY_TENANT, base('named-folder', plainDovecot.port, { folder: 'Sent Items' }));
      const { account: unnamed } = await addAccount(t.ctx, EVERY_TENANT, base('no-folder', plainDovecot.port));
      const one = await sendMessage(t.ctx, EVERY_TENANT, { tenant: 'acme', accountId: named.id, to: 'a@candidate.example', subject: 'One', text: 'x' });
      const two = await sendMessage(t.ctx, EVERY_TENANT, { tenant: 'acme', accountId: unnamed.id, to: 'b@candidate.example', subject: 'Two', text: 'x' });
      await waitFor(async () => (await t.ctx.outbound.get(one.id))?.sentCopy?.state === 'copied', 15_000, 'copied to the named folder');
      await waitFor(async () => ((await t.ctx.outbound.get(two.id))?.sentCopy?.lastError ?? null) !== null, 15_000, 'the copy failed');
      expect((await fetchSent(plainDovecot, 'Sent Items')).map((m) => m.source.includes(one.messageId))).toEqual([true]);
      expect(await t.ctx.outbound.get(two.id)).toMatchObject({
        status: 'sent',
        sentCopy: { state: 'pending', attempts: 1, lastError: expect.stringMatching(/marks no folder as \\Sent/) },
      });
      expect((await t.ctx.accounts.get(unnamed.id))?.sentCopy.lastError).toMatch(/name the Sent folder/);
    });

    it('a refused IMAP login leaves the mail sent once, and the copy waiting with the reason', async () => {
      const { account } = await addAccount(t.ctx, EVERY_TENANT, base('wrong-password', dovecot.port, { password: 'not-it' }));
      const before = provider.received.length;
      const queued = await sendMessage(t.ctx, EVERY_TENANT, { tenant: 'acme', accountId: account.id, to: 'c@candidate.example', subject: 'Three', text: 'x' });
      await waitFor(async () => ((await t.ctx.outbound.get(queued.id))?.sentCopy?.lastError ?? null) !== null, 15_000, 'the copy failed');
      expect(await t.ctx.outbound.get(queued.id)).toMatchObject({
        status: 'sent',
        attempts: 1,
        sentCopy: { state: 'pending', lastError: expect.stringMatching(/login refused/i) },
      });
      expect(provider.received.length - before).toBe(1);
      expect((await t.ctx.accounts.get(account.id))?.sentCopy.lastError).toMatch(/login refused/i);
    });

    it('the connection test goes on to the IMAP login and the Sent folder, and says what to do when one fails', async () => {
      const good = await addAccount(t.ctx, EVERY_TENANT, base('test-good', dovecot.port));
      const { result } = await testAccount(t.ctx, EVERY_TENANT, good.account.id);
      expect(result).toMatchObject({ ok: true, stage: 'sent_folder' });
      expect(result.stages.map((s) => s.stage)).toEqual(['resolve', 'connect', 'tls', 'ehlo', 'auth', 'mail_from', 'imap_login', 'sent_folder']);
      const refused = await addAccount(t.ctx, EVERY_TENANT, base('test-refused', dovecot.port, { password: 'not-it' }));
      expect((await testAccount(t.ctx, EVERY_TENANT, refused.account.id)).result).toMatchObject({
        ok: false,
        stage: 'imap_login',
        advice: expect.stringMatching(/IMAP user name and password/),
      });
      expect((await t.ctx.accounts.get(refused.account.id))?.status).toBe('failing');
      const noFolder = await addAccount(t.ctx, EVERY_TENANT, base('test-no-folder', plainDovecot.port));
      expect((await testAccount(t.ctx, EVERY_TENANT, noFolder.account.id)).result).toMatchObject({
        ok: false,
        stage: 'sent_folder',
        error: expect.stringMatching(/Sent Items/),
        advice: expect.stringMatching(/name the mailbox's Sent folder/),
      });
    });

    it('providers that file Sent themselves need no IMAP; an IMAP server is required for mode imap', async () => {
      const gmail = await addAccount(t.ctx, EVERY_TENANT, {
        ...base('gmail', 0),
        provider: 'gmail',
        host: undefined,
        port: undefined,
        security: undefined,
        sentCopy: undefined,
      });
      expect(gmail.account.sentCopy.mode).toBe('provider');
      await expect(addAccount(t.ctx, EVERY_TENANT, { ...base('no-host', 0), sentCopy: { mode: 'imap' } })).rejects.toMatchObject({ field: 'imapHost' });
    });
  });
});
