// Inbox intake through the operator's CLI and a real `mailroom serve`, against a
// real Dovecot: `inboxes add/test/list/show/remove`, and a SIGKILL of the
// server in the middle of reading a folder of thousands: after the restart every
// message is stored exactly once (the UIDs went in with the messages).
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/index.ts';
import { deliveredMessage, DOVECOT, dovecotUnavailable, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { runCli, runCliAsync, spawnServer } from '../helpers/process.ts';
import { tempDir, waitFor } from '../helpers/server.ts';

const unavailable = dovecotUnavailable();
if (unavailable && process.env.CI && !existsSync(DOVECOT)) throw new Error(unavailable);

const TOTAL = 3000;
const USER = 'jobs@acme.com';
const dataDir = tempDir('mailroom-inbox-crash-');
// Small batches: many transactions, so the kill lands between two of them.
const env = { MAILROOM_DATA_DIR: dataDir, MAILROOM_INBOXES_BATCH_MESSAGES: '10', MAILROOM_INBOXES_REFRESH_MS: '200' };
let dovecot: Dovecot;

function json<T>(result: { code: number; stdout: string; stderr: string }): T {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe.skipIf(unavailable !== null)('inbox intake across a SIGKILL', () => {
  beforeAll(async () => {
    dovecot = await startDovecot();
    dovecot.addUser(USER, 'mailbox-password');
    expect(runCli(['tenants', 'add', 'acme', '--domain', 'acme.com', '--reply-domain', 'replies.acme.com'], env).code).toBe(0);
  }, 30_000);

  afterAll(async () => {
    await dovecot?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds, tests, lists and shows an inbox from the CLI, with clear errors', async () => {
    const args = ['inboxes', 'add', '--tenant', 'acme', '--address', USER, '--imap-host', '127.0.0.1', '--imap-port', String(dovecot.port)];
    const plain = [...args, '--imap-security', 'none', '--allow-plain', '--password-env', 'INBOX_PASSWORD', '--trust-authserv-id', 'mx.provider.test'];
    const clear = runCli([...args, '--imap-security', 'none', '--password-env', 'P'], { ...env, P: 'x' });
    expect(clear).toMatchObject({ code: 1, stderr: expect.stringMatching(/password in the clear.*\(--allow-plain\)/) });
    expect(runCli([...plain, '--after-import', 'archive'], { ...env, INBOX_PASSWORD: 'mailbox-password' }).stderr).toMatch(/move:FOLDER\) \(--after-import\)/);
    const { id } = json<{ id: number }>(await runCliAsync([...plain, '--json'], { ...env, INBOX_PASSWORD: 'mailbox-password' }));

    dovecot.deliver(USER, 'INBOX', [deliveredMessage({ n: 'first' })]);
    const tested = await runCliAsync(['inboxes', 'test', String(id)], env);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/ok: logged in to 127\.0\.0\.1 as jobs@acme\.com; INBOX holds 1 messages; new mail is read as it arrives \(IDLE\)/);

    const listed = runCli(['inboxes', 'list'], env);
    expect(listed.stdout).toMatch(/jobs@acme\.com.*INBOX \(leave\).*pending/);
    const shown = json<Record<string, unknown>>(runCli(['inboxes', 'show', String(id), '--json'], env));
    expect(shown).toMatchObject({ id, address: USER, password: '********', imported: 0, authservId: 'mx.provider.test' });
    expect(JSON.stringify(shown)).not.toContain('mailbox-password');
    expect(runCli(['inboxes', 'show', '99'], env).stderr).toMatch(/no inbox 99 \(see: npx mailroom inboxes list\)/);
  }, 60_000);

  it('stores every message of the folder exactly once when the server is killed mid-import', async () => {
    dovecot.deliver(
      USER,
      'INBOX',
      Array.from({ length: TOTAL - 1 }, (_, i) => deliveredMessage({ n: i })),
    );
    const db = openDatabase(dataDir);
    const imported = db.prepare('SELECT COUNT(*) FROM inbox_imports').pluck();
    try {
      const first = await spawnServer(env);
      await waitFor(() => (imported.get() as number) >= 200, 30_000, 'some messages imported');
      first.child.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      const atKill = imported.get() as number;
      expect(atKill).toBeLessThan(TOTAL);

      const second = await spawnServer(env);
      try {
        await waitFor(() => (imported.get() as number) === TOTAL, 60_000, 'the whole folder imported after the restart');
        const messages = db.prepare(`SELECT COUNT(*) AS n, COUNT(DISTINCT message_id) AS distinctIds FROM inbox_imports`).get() as {
          n: number;
          distinctIds: number;
        };
        expect(messages).toEqual({ n: TOTAL, distinctIds: TOTAL });
        // One stored message per delivered one, none twice, none lost.
        const stored = db.prepare(`SELECT COUNT(*) FROM messages WHERE source LIKE 'imap:%'`).pluck().get() as number;
        expect(stored).toBe(TOTAL);
        const raw = db.prepare(`SELECT r.raw FROM message_raw r JOIN messages m ON m.id = r.message_id WHERE m.source LIKE 'imap:%'`).pluck().all() as Buffer[];
        const ids = raw.map((b) => /Message-ID: (<[^>]+>)/.exec(b.toString())?.[1]);
        expect(new Set(ids).size).toBe(TOTAL);
        const show = json<{ imported: number; lastUid: number; status: string }>(await runCliAsync(['inboxes', 'show', '1', '--json'], env));
        expect(show).toMatchObject({ imported: TOTAL, lastUid: TOTAL, status: 'active' });
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
      expect(runCli(['inboxes', 'remove', '1'], env).stdout).toMatch(/removed inbox 1 \(jobs@acme\.com\); the messages read from it stay/);
      expect(db.prepare(`SELECT COUNT(*) FROM messages WHERE source = 'imap:1'`).pluck().get()).toBe(TOTAL);
    } finally {
      db.close();
    }
  }, 150_000);
});
