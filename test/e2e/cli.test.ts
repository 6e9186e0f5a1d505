// The operator's CLI as a separate process against a real data dir: tenants,
// messages, stats, config errors; tables for people, JSON for scripts.
import nodemailer from 'nodemailer';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnServer, type ServerProcess } from '../helpers/process.ts';
import { tempDir, waitFor } from '../helpers/server.ts';

const dataDir = tempDir('mailroom-cli-');
const env = { MAILROOM_DATA_DIR: dataDir };
let server: ServerProcess;

beforeAll(async () => {
  const added = runCli(['tenants', 'add', 'acme', '--name', 'Acme Inc', '--domain', 'acme.com', '--reply-domain', 'replies.acme.com', '--forward-address', 'acme-jobs@in.mailroom.test', '--json'], env);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  server = await spawnServer(env);
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('mailroom CLI', () => {
  it('tenants add/list/show', () => {
    const sub = runCli(['tenants', 'add', 'acme-de', '--parent', 'acme', '--domain', 'acme.de', '--reply-domain', 'antworten.acme.de'], env);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/added tenant acme-de; it receives mail for: \*@antworten\.acme\.de/);

    const list = JSON.parse(runCli(['tenants', 'list', '--json'], env).stdout) as { slug: string; parent: string | null }[];
    expect(list.map((t) => [t.slug, t.parent])).toEqual([
      ['acme', null],
      ['acme-de', 'acme'],
    ]);
    const table = runCli(['tenants', 'list'], env).stdout;
    expect(table).toMatch(/│ acme-de │/);

    const show = JSON.parse(runCli(['tenants', 'show', 'acme', '--json'], env).stdout) as Record<string, unknown>;
    expect(show).toMatchObject({ slug: 'acme', name: 'Acme Inc', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: ['acme-jobs@in.mailroom.test'] });
  });

  it('refuses bad tenant input with one clear line and exit 1', () => {
    const dup = runCli(['tenants', 'add', 'acme', '--domain', 'acme.com', '--reply-domain', 'r.acme.com'], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim()).toBe('mailroom: tenant "acme" already exists');
    const missing = runCli(['tenants', 'show', 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no tenant "nope"/);
  });

  it('messages list/show with the documented JSON fields, and --raw', async () => {
    const info = await nodemailer
      .createTransport({ host: '127.0.0.1', port: server.port, secure: false, tls: { rejectUnauthorized: false } })
      .sendMail({ from: 'Jane <jane@candidate.example>', to: 'careers+t0k@replies.acme.com', subject: 'Re: Interview', text: 'See you then\r\n', messageId: '<cli-1@candidate.example>' });
    const id = /queued as (\S+)/.exec(info.response)?.[1] as string;
    const listed = (): { id: string; status: string }[] => JSON.parse(runCli(['messages', 'list', '--json'], env).stdout) as { id: string; status: string }[];
    await waitFor(() => listed()[0]?.status === 'processed', 10_000, 'processed');

    const [first] = listed() as Record<string, unknown>[];
    expect(first).toMatchObject({
      id,
      tenant: 'acme',
      status: 'processed',
      messageId: '<cli-1@candidate.example>',
      from: 'jane@candidate.example',
      subject: 'Re: Interview',
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      size: expect.any(Number),
    });
    const shown = JSON.parse(runCli(['messages', 'show', id, '--json'], env).stdout) as Record<string, unknown>;
    expect(shown).toEqual(first);
    expect(runCli(['messages', 'show', id], env).stdout).toMatch(/subject\s+Re: Interview/);
    expect(runCli(['messages', 'show', id, '--raw'], env).stdout).toMatch(/^Received: from .*\r\n[\s\S]*See you then/);
    expect(JSON.parse(runCli(['messages', 'list', '--tenant', 'acme-de', '--json'], env).stdout)).toEqual([]);
    expect(runCli(['messages', 'list', '--status', 'weird'], env).stderr).toMatch(/--status must be one of received, processed, failed/);
    expect(runCli(['messages', 'list'], env).stdout).toMatch(/Re: Interview/);
    expect(runCli(['messages', 'show', 'NOPE'], env).code).toBe(1);

    const stats = JSON.parse(runCli(['stats', '--json'], env).stdout) as { tenants: number; messages: { total: number }; jobs: { done: number } };
    expect(stats).toMatchObject({ tenants: 2, messages: { total: 1 }, jobs: { done: 1 } });
  });

  it('refuses a second server on the same data dir', () => {
    const second = runCli(['serve'], { ...env, MAILROOM_SMTP_PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another mailroom server \(pid \d+\) is running/);
  });

  it('refuses to start with a zone file it cannot use, naming it', () => {
    const bad = runCli(['serve'], { ...env, MAILROOM_SMTP_PORT: '0', MAILROOM_DNS_ZONE_FILE: '/nonexistent/zone.json' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/dns.zoneFile \/nonexistent\/zone.json: cannot read it/);
  });

  it('stops with exit 78 on a bad setting, naming the key', () => {
    const bad = runCli(['serve'], { ...env, MAILROOM_SMTP_PORT: 'twenty-five' });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/MAILROOM_SMTP_PORT="twenty-five": smtp.port must be an integer from 0 to 65535/);
    const keys = runCli(['config', 'keys', '--json'], {});
    expect((JSON.parse(keys.stdout) as { env: string }[]).map((k) => k.env)).toContain('MAILROOM_SMTP_MAX_MESSAGE_BYTES');
  });
});
