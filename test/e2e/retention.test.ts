// Retention over a real server and SQLite file: raw bytes and attachment files of
// old processed messages go, the rows, decisions and reply text stay, a file
// shared by two messages goes only with the second, and a dry run changes nothing.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentPath } from '../../src/parse/attachments.ts';
import { RetentionStore, SqliteSql } from '../../src/store/index.ts';
import { runCli } from '../helpers/process.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ overrides: { smtp: { spoolThresholdBytes: 2048 } } });
});
afterAll(() => t.cleanup());

function withAttachment(subject: string, attachment: string, padding = ''): string {
  return [
    'From: jane@candidate.example',
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    `My CV is attached.${padding}`,
    '--b',
    'Content-Type: application/pdf; name="cv.pdf"',
    'Content-Disposition: attachment; filename="cv.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(attachment).toString('base64'),
    '--b--',
    '.',
  ].join('\r\n');
}

async function deliver(body: string): Promise<string> {
  const c = await RawSmtp.connect(t.port);
  expect((await c.startData(['careers@replies.acme.com'], 'jane@candidate.example'))?.code).toBe(354);
  const id = queuedId(await c.command(body));
  c.close();
  await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
  return id;
}

describe('retention', () => {
  it('deletes raw bytes and attachment files of old processed messages, a shared file only with the last user', async () => {
    const shared = 'the same CV, sent twice';
    const first = await deliver(withAttachment('First', shared));
    // A large one: its raw bytes are a spool file.
    const spooled = await deliver(withAttachment('Large', 'another CV', `\r\n${'x'.repeat(76)}`.repeat(60)));
    await new Promise((r) => setTimeout(r, 5));
    const between = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const second = await deliver(withAttachment('Second', shared));
    const sharedSha = (await t.ctx.messages.get(first))!.attachments[0]!.sha256;
    const ownSha = (await t.ctx.messages.get(spooled))!.attachments[0]!.sha256;
    expect((await t.ctx.messages.get(second))!.attachments[0]!.sha256).toBe(sharedSha);
    const spoolPath = t.ctx.db.prepare('SELECT path FROM message_raw WHERE message_id = ?').pluck().get(spooled) as string;
    expect(spoolPath).toMatch(/^spool\//);

    const retention = new RetentionStore(SqliteSql.of(t.ctx.db), t.dataDir);
    // Files touched within the last hour may belong to a message in flight: look from two hours on.
    const later = new Date(Date.now() + 2 * 3_600_000);
    const dry = await retention.purge({ before: between, now: later, dryRun: true });
    expect(dry).toMatchObject({ messages: 2, attachmentFiles: 1 });
    expect(await t.ctx.raw.read(first)).not.toBeNull();

    const progress: number[] = [];
    const done = await retention.purge({ before: between, now: later, dryRun: false, progress: (r) => progress.push(r.messages) });
    expect(done).toMatchObject({ messages: 2, attachmentFiles: 1 });
    expect(progress.at(-1)).toBe(2);
    expect(await t.ctx.raw.read(first)).toBeNull();
    expect(existsSync(`${t.dataDir}/${spoolPath}`)).toBe(false);
    expect(existsSync(attachmentPath(t.dataDir, ownSha))).toBe(false);
    // The second message still uses the shared file.
    expect(existsSync(attachmentPath(t.dataDir, sharedSha))).toBe(true);
    // What the recruiter reads stays.
    expect(await t.ctx.messages.get(first)).toMatchObject({ subject: 'First', classification: { replyText: expect.stringContaining('My CV is attached') } });
    expect((await t.ctx.messages.get(first))?.decision).not.toBeNull();
    // Nothing left to run the pipeline on.
    expect(await t.ctx.messages.requeue([first], Date.now())).toBe(0);

    const rest = await retention.purge({ before: new Date(Date.now() + 60_000), now: later, dryRun: false });
    expect(rest).toMatchObject({ messages: 1, attachmentFiles: 1 });
    expect(existsSync(attachmentPath(t.dataDir, sharedSha))).toBe(false);
    expect((await retention.purge({ before: new Date(Date.now() + 60_000), now: later, dryRun: false })).messages).toBe(0);
  });

  it('keeps a file touched within the last hour, which a message in flight may be using', async () => {
    const id = await deliver(withAttachment('Recent', 'a fresh CV'));
    const sha = (await t.ctx.messages.get(id))!.attachments[0]!.sha256;
    const report = await new RetentionStore(SqliteSql.of(t.ctx.db), t.dataDir).purge({ before: new Date(Date.now() + 60_000), now: new Date(), dryRun: false });
    expect(report).toMatchObject({ messages: 1, attachmentFiles: 0 });
    expect(existsSync(attachmentPath(t.dataDir, sha))).toBe(true);
  });

  it('`mailroom purge --dry-run` reports without changing anything', async () => {
    const id = await deliver(withAttachment('Kept', 'a CV kept'));
    const result = runCli(['purge', '--dry-run'], { MAILROOM_DATA_DIR: t.dataDir });
    expect(result.stdout).toMatch(/^would delete the raw bytes of 0 message\(s\)/);
    expect(runCli(['purge', '--days', 'soon'], { MAILROOM_DATA_DIR: t.dataDir }).stderr).toMatch(/--days must be a whole number/);
    expect(await t.ctx.raw.read(id)).not.toBeNull();
  });
});
