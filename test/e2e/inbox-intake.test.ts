// Inbox intake against a real Dovecot (test/helpers/dovecot.ts): messages put in
// the mailbox are read while IDLE, stored once with their source, judged by the
// provider's Authentication-Results only when its authserv-id is the trusted
// one, flagged \Seen or moved after import; a folder that disappears marks the
// inbox failing, and coming back under a new UIDVALIDITY stores nothing twice.
import type { ImapFlow } from 'imapflow';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addInbox, checkTenantSetup, EVERY_TENANT, removeInbox, testInbox, type InboxInput } from '../../src/operations/index.ts';
import { messageJson } from '../../src/views/json.ts';
import { deliveredMessage, DOVECOT, dovecotUnavailable, imapSession, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI && !existsSync(DOVECOT)) throw new Error(unavailable);

let t: TestServer;
let dovecot: Dovecot;
let session: ImapFlow;

const USER = 'jobs@acme.com';
const PASSWORD = 'mailbox-password';

const input = (over: Partial<InboxInput> = {}): InboxInput => ({
  tenant: 'acme',
  address: USER,
  host: '127.0.0.1',
  port: dovecot.port,
  security: 'none',
  allowPlain: true,
  credentials: { password: PASSWORD },
  authservId: 'mx.provider.test',
  ...over,
});

async function messagesOf(inboxId: number) {
  return (await t.ctx.messages.list({ limit: 1000 })).filter((m) => m.source === `imap:${inboxId}`);
}

describe.each(BACKENDS)('on %s', (backend) => {
  describe.skipIf(unavailable !== null)('inbox intake over IMAP', () => {
    beforeAll(async () => {
      dovecot = await startDovecot();
      dovecot.addUser(USER, PASSWORD);
      // The poll is far off: what arrives within seconds came through IDLE.
      t = await startTestServer({ backend, overrides: { inboxes: { pollMs: 120_000, refreshMs: 200, retryMaxMs: 1000 } } });
      await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane', emails: ['jane@candidate.example'] });
      session = await imapSession(dovecot, USER, PASSWORD);
    }, 30_000);

    afterAll(async () => {
      await session?.logout().catch(() => undefined);
      await t?.cleanup();
      await dovecot?.stop();
    });

    it('reads new mail while IDLE, once, judged by the trusted provider, and flags it \\Seen', async () => {
      await session.append('INBOX', deliveredMessage({ n: 1 }));
      await session.append('INBOX', deliveredMessage({ n: 2, authservId: 'mx.forged.example' }));
      const inbox = await addInbox(t.ctx, EVERY_TENANT, input({ afterImport: 'seen' }));
      expect(inbox).toMatchObject({ folder: 'INBOX', afterImport: 'seen', status: 'pending', lastUid: 0 });
      await waitFor(
        async () => (await messagesOf(inbox.id)).length === 2 && (await messagesOf(inbox.id)).every((m) => isProcessed(m.status)),
        15_000,
        'two messages read and processed',
      );

      // Then, with the connection in IDLE, a third.
      await waitFor(async () => (await t.ctx.inboxes.get(inbox.id))?.status === 'active', 5000, 'inbox active');
      await new Promise((r) => setTimeout(r, 500));
      await session.append('INBOX', deliveredMessage({ n: 3 }));
      await waitFor(async () => (await messagesOf(inbox.id)).length === 3, 10_000, 'the third message read through IDLE');
      await waitFor(async () => (await messagesOf(inbox.id)).every((m) => isProcessed(m.status)), 10_000, 'all processed');

      const [third, second, first] = await messagesOf(inbox.id);
      const json = messageJson(first!);
      expect(json.source).toBe(`imap:${inbox.id}`);
      expect(first!.envelope).toMatchObject({ rcptTo: [USER], mailFrom: 'jane@candidate.example', imap: { inboxId: inbox.id, folder: 'INBOX', uid: 1 } });
      // The provider's verdict is believed: the sender is proven and the message filed under Jane.
      expect(first!.auth?.sender).toMatchObject({ authenticated: true, via: 'dmarc' });
      expect(first!.status).toBe('assigned');
      expect(third!.status).toBe('assigned');
      // Another authserv-id proves nothing: the same claims stay unproven, and the message waits for a person.
      expect(second!.auth).toMatchObject({
        dmarc: 'none',
        sender: { authenticated: false, detail: expect.stringMatching(/no Authentication-Results from mx\.provider\.test/) },
      });
      expect(second!.status).toBe('unassigned');

      const inboxNow = (await t.ctx.inboxes.get(inbox.id))!;
      expect(inboxNow).toMatchObject({ status: 'active', lastUid: 3, lastError: null });
      expect(await t.ctx.inboxes.importedCount(inbox.id)).toBe(3);
      expect(dovecot.messages(USER, 'INBOX').every((m) => m.flags.includes('S'))).toBe(true);

      const tested = await testInbox(t.ctx, EVERY_TENANT, inbox.id);
      expect(tested.result).toMatchObject({ ok: true, stage: 'folder', messages: 3, idle: true });
      await removeInbox(t.ctx, EVERY_TENANT, inbox.id);
    }, 60_000);

    it('moves what it read; a folder that disappears marks the inbox failing; back under a new UIDVALIDITY nothing is stored twice', async () => {
      await session.mailboxCreate('Jobs');
      for (const n of ['j1', 'j2', 'j3']) await session.append('Jobs', deliveredMessage({ n }));
      const inbox = await addInbox(t.ctx, EVERY_TENANT, input({ folder: 'Jobs' }));
      await waitFor(async () => (await messagesOf(inbox.id)).length === 3, 15_000, 'three messages read from Jobs');
      const before = (await t.ctx.inboxes.get(inbox.id))!;

      // The folder goes away: the inbox says so, with the server's words.
      await session.mailboxCreate('Jobs-copy');
      await session.mailboxOpen('Jobs');
      await session.messageCopy('1:*', 'Jobs-copy');
      await session.mailboxClose();
      await session.mailboxDelete('Jobs');
      const failing = async () =>
        (await t.ctx.inboxes.get(inbox.id))?.status === 'failing' && /exist/.test((await t.ctx.inboxes.get(inbox.id))?.lastError ?? '');
      await waitFor(failing, 15_000, 'the inbox failing while its folder is gone, saying so');
      expect((await t.ctx.inboxes.get(inbox.id))?.lastError).toMatch(/Jobs/);

      // It comes back (with the old messages and a new one) under another UIDVALIDITY.
      await session.append('Jobs-copy', deliveredMessage({ n: 'j4' }));
      await session.mailboxRename('Jobs-copy', 'Jobs');
      await waitFor(
        async () => (await t.ctx.inboxes.get(inbox.id))?.status === 'active' && (await messagesOf(inbox.id)).length === 4,
        15_000,
        'the new message read',
      );
      const after = (await t.ctx.inboxes.get(inbox.id))!;
      expect(after.uidValidity).not.toBe(before.uidValidity);
      expect(after.lastUid).toBe(4);
      // The three read before are recognised under their new UIDs, not stored again.
      expect(await t.ctx.inboxes.importedCount(inbox.id)).toBe(7);
      expect(new Set((await messagesOf(inbox.id)).map((m) => m.subject ?? m.id)).size).toBe(4);
      await removeInbox(t.ctx, EVERY_TENANT, inbox.id);
    }, 60_000);

    it('moves each message once stored, and says what is wrong with a login or a folder', async () => {
      await session.mailboxCreate('Careers');
      await session.append('Careers', deliveredMessage({ n: 'm1' }));
      const inbox = await addInbox(t.ctx, EVERY_TENANT, input({ folder: 'Careers', afterImport: 'move:Careers/Done' }));
      await waitFor(async () => (await messagesOf(inbox.id)).length === 1, 15_000, 'the message read');
      await waitFor(() => dovecot.messages(USER, 'Careers/Done').length === 1, 10_000, 'the message moved');
      expect(dovecot.messages(USER, 'Careers')).toHaveLength(0);
      await removeInbox(t.ctx, EVERY_TENANT, inbox.id);

      const wrongPassword = await addInbox(t.ctx, EVERY_TENANT, input({ credentials: { password: 'nope' }, folder: 'Elsewhere' }));
      const login = await testInbox(t.ctx, EVERY_TENANT, wrongPassword.id);
      expect(login.result).toMatchObject({ ok: false, stage: 'login', advice: expect.stringMatching(/app password/) });
      // `tenants check` tries every inbox of the tenant the same way.
      const readable = await addInbox(t.ctx, EVERY_TENANT, input({ folder: 'Careers', authservId: undefined }));
      const { report } = await checkTenantSetup(t.ctx, EVERY_TENANT, 'acme', { sendTests: false, inboxes: [], progress: () => undefined });
      const imap = report.checks.filter((c) => c.area === 'imap_inbox');
      expect(imap).toEqual([
        expect.objectContaining({ subject: 'jobs@acme.com (Elsewhere)', status: 'fail', found: expect.stringMatching(/^login: IMAP login refused/) }),
        expect.objectContaining({ subject: 'jobs@acme.com (Careers)', status: 'ok', found: '0 messages; new mail arrives at once (IDLE)' }),
        expect.objectContaining({ subject: 'jobs@acme.com (Careers)', status: 'warn', check: 'sender authentication' }),
      ]);
      await removeInbox(t.ctx, EVERY_TENANT, readable.id);
      await waitFor(async () => (await t.ctx.inboxes.get(wrongPassword.id))?.status === 'failing', 10_000, 'a refused login marks the inbox failing');
      await removeInbox(t.ctx, EVERY_TENANT, wrongPassword.id);

      const noFolder = await addInbox(t.ctx, EVERY_TENANT, input({ folder: 'Nowhere' }));
      const folder = await testInbox(t.ctx, EVERY_TENANT, noFolder.id);
      expect(folder.result).toMatchObject({ ok: false, stage: 'folder', advice: expect.stringMatching(/no folder "Nowhere".*INBOX/) });
      await removeInbox(t.ctx, EVERY_TENANT, noFolder.id);

      // The first connection reads back only as far as --since (by the date the server received each message).
      await session.mailboxCreate('Old');
      await session.append('Old', deliveredMessage({ n: 'last-year' }), [], new Date('2025-03-01T10:00:00Z'));
      await session.append('Old', deliveredMessage({ n: 'this-month' }), [], new Date());
      const bounded = await addInbox(t.ctx, EVERY_TENANT, input({ folder: 'Old', since: '2026-01-01' }));
      await waitFor(async () => (await t.ctx.inboxes.get(bounded.id))?.lastUid === 2, 15_000, 'the folder read');
      expect((await messagesOf(bounded.id)).map((m) => m.envelope.imap?.uid)).toEqual([2]);
      await removeInbox(t.ctx, EVERY_TENANT, bounded.id);

      await expect(addInbox(t.ctx, EVERY_TENANT, input({ afterImport: 'archive' }))).rejects.toThrow(/leave|seen|move/);
      await expect(addInbox(t.ctx, EVERY_TENANT, input({ since: 'yesterday' }))).rejects.toThrow(/YYYY-MM-DD/);
      await expect(addInbox(t.ctx, { tenantIds: [] }, input())).rejects.toThrow(/no tenant/);
    }, 60_000);
  });
});
