// What a message read from a real Dovecot inbox proves, and what makes it new:
// the provider's DMARC pass counts only for the From judged, only the topmost
// Authentication-Results is the provider's, a new UID is a new message whatever
// Message-ID a stranger sent first, and `inboxes test` (operation and CLI)
// warns when the recent mail does not carry the provider's own header on top.
import type { ImapFlow } from 'imapflow';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addInbox, EVERY_TENANT, removeInbox, testInbox, type InboxInput } from '../../src/operations/index.ts';
import { deliveredMessage, DOVECOT, dovecotUnavailable, imapSession, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { runCliAsync } from '../helpers/process.ts';
import { BACKENDS, isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI && !existsSync(DOVECOT)) throw new Error(unavailable);

const USER = 'jobs@acme.com';
const PASSWORD = 'mailbox-password';
const PROVIDER = 'mx.provider.test';

/** A message with these header fields on top (topmost first), from Jane unless told. */
function message(n: string, top: readonly string[], over: { from?: string; messageId?: string } = {}): string {
  return [
    ...top,
    `From: ${over.from ?? 'Jane Doe <jane@candidate.example>'}`,
    `To: ${USER}`,
    `Subject: Trust ${n}`,
    `Message-ID: ${over.messageId ?? `<trust-${n}@candidate.example>`}`,
    'Date: Fri, 04 Dec 2026 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Message ${n}.`,
    '',
  ].join('\r\n');
}

const received = 'Received: from mail.candidate.example (mail.candidate.example [192.0.2.7]) by mx.provider.test; Fri, 4 Dec 2026 10:00:00 +0000';
const results = (id: string, domain: string, dmarcFrom = domain): string =>
  `Authentication-Results: ${id}; spf=pass smtp.mailfrom=${domain}; dkim=pass header.d=${domain}; dmarc=pass header.from=${dmarcFrom}`;

describe.each(BACKENDS)('on %s', (backend) => {
  describe.skipIf(unavailable !== null)('what mail read over IMAP proves', () => {
    let t: TestServer;
    let dovecot: Dovecot;
    let session: ImapFlow;
    const input = (folder: string): InboxInput => ({
      tenant: 'acme',
      address: USER,
      host: '127.0.0.1',
      port: dovecot.port,
      security: 'none',
      allowPlain: true,
      credentials: { password: PASSWORD },
      authservId: PROVIDER,
      folder,
    });
    const bySubject = async (inboxId: number): Promise<Map<string, Awaited<ReturnType<typeof t.ctx.messages.list>>>> => {
      const all = (await t.ctx.messages.list({ limit: 1000 })).filter((m) => m.source === `imap:${inboxId}`);
      const map = new Map<string, typeof all>();
      for (const m of all) map.set(m.subject ?? '', [...(map.get(m.subject ?? '') ?? []), m]);
      return map;
    };

    beforeAll(async () => {
      dovecot = await startDovecot();
      dovecot.addUser(USER, PASSWORD);
      t = await startTestServer({ backend, overrides: { inboxes: { pollMs: 120_000, refreshMs: 200, retryMaxMs: 1000 } } });
      await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane', emails: ['jane@candidate.example'] });
      session = await imapSession(dovecot, USER, PASSWORD);
    }, 30_000);

    afterAll(async () => {
      await session?.logout().catch(() => undefined);
      await t?.cleanup();
      await dovecot?.stop();
    });

    it('believes only the topmost Authentication-Results, its DMARC pass only for the From, and takes a new UID as a new message', async () => {
      await session.mailboxCreate('Trust');
      // The provider's verdict, for the From domain: Jane.
      await session.append('Trust', message('good', [received, results(PROVIDER, 'candidate.example')]));
      // The provider's DMARC pass is for attacker.example, not for the From judged.
      await session.append('Trust', message('mismatch', [received, results(PROVIDER, 'attacker.example')]));
      // The trusted id lower down, under a field the provider did not write: the sender's own.
      await session.append('Trust', message('lower', [results('mx.relay.example', 'candidate.example'), received, results(PROVIDER, 'candidate.example')]));
      // A stranger sends first, with the Message-ID Jane's next message will carry.
      await session.append(
        'Trust',
        message('stranger', [received, results(PROVIDER, 'elsewhere.example')], { from: 'someone@elsewhere.example', messageId: '<shared@candidate.example>' }),
      );
      const inbox = await addInbox(t.ctx, EVERY_TENANT, input('Trust'));
      const processed = async (n: number): Promise<boolean> => {
        const all = [...(await bySubject(inbox.id)).values()].flat();
        return all.length === n && all.every((m) => isProcessed(m.status));
      };
      await waitFor(() => processed(4), 20_000, 'four messages read and processed');
      await session.append('Trust', message('later', [received, results(PROVIDER, 'candidate.example')], { messageId: '<shared@candidate.example>' }));
      await waitFor(() => processed(5), 20_000, "Jane's message with the stranger's Message-ID read and processed");

      const got = await bySubject(inbox.id);
      const one = (n: string) => {
        expect(got.get(`Trust ${n}`), n).toHaveLength(1);
        return got.get(`Trust ${n}`)![0]!;
      };
      expect(one('good')).toMatchObject({ status: 'assigned', auth: { sender: { authenticated: true, via: 'dmarc' } } });
      expect(one('mismatch')).toMatchObject({ status: 'unassigned', auth: { dmarc: 'none', sender: { authenticated: false } } });
      expect(one('mismatch').auth?.sender?.detail).toMatch(/DMARC verdict is for attacker\.example/);
      expect(one('lower')).toMatchObject({ status: 'unassigned', auth: { sender: { authenticated: false } } });
      one('stranger');
      // A new UID is a new message: the stranger's Message-ID did not suppress Jane's.
      expect(one('later')).toMatchObject({ status: 'assigned' });
      expect(await t.ctx.inboxes.importedCount(inbox.id)).toBe(5);

      // `inboxes test` looks at the recent mail: one of the five lacks the provider's header on top.
      const tested = (await testInbox(t.ctx, EVERY_TENANT, inbox.id)).result;
      expect(tested).toMatchObject({ ok: true, messages: 5, recentChecked: 5, recentStamped: 4 });
      expect(tested.warning).toMatch(
        /^1 of the 5 most recent messages lack Authentication-Results from mx\.provider\.test at the top of the header \(on top instead: mx\.relay\.example\)/,
      );
      await removeInbox(t.ctx, EVERY_TENANT, inbox.id);
    }, 60_000);

    it('warns, in the operation and the CLI, when the provider does not stamp its own Authentication-Results', async () => {
      await session.mailboxCreate('Bare');
      await session.append('Bare', message('bare-1', [received]));
      await session.append('Bare', message('bare-2', [received]));
      const inbox = await addInbox(t.ctx, EVERY_TENANT, input('Bare'));
      expect((await testInbox(t.ctx, EVERY_TENANT, inbox.id)).result).toMatchObject({
        ok: true,
        recentChecked: 2,
        recentStamped: 0,
        warning: expect.stringMatching(
          /the 2 most recent messages all lack Authentication-Results from mx\.provider\.test .*on top instead: no Authentication-Results at all/,
        ),
      });
      const cli = await runCliAsync(['inboxes', 'test', String(inbox.id)], t.cliEnv);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toMatch(/^ok: .*Bare holds 2 messages.*\nwarning: the 2 most recent messages all lack Authentication-Results from mx\.provider\.test/);
      // Read-only: looking did not mark anything \Seen.
      expect(dovecot.messages(USER, 'Bare').every((m) => !m.flags.includes('S'))).toBe(true);

      // A folder whose recent mail does carry it: no warning.
      await session.mailboxCreate('Stamped');
      await session.append('Stamped', deliveredMessage({ n: 'stamped' }));
      const stamped = await addInbox(t.ctx, EVERY_TENANT, { ...input('Stamped'), afterImport: 'leave' });
      expect((await testInbox(t.ctx, EVERY_TENANT, stamped.id)).result).toMatchObject({ ok: true, recentChecked: 1, recentStamped: 1, warning: null });
      await removeInbox(t.ctx, EVERY_TENANT, stamped.id);
      await removeInbox(t.ctx, EVERY_TENANT, inbox.id);
    }, 60_000);
  });
});
