// The operator's CLI as a separate process against a real data dir: tenants,
// messages, stats, config errors; tables for people, JSON for scripts.
import type { Command } from 'commander';
import nodemailer from 'nodemailer';
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { READ_ONLY_COMMANDS } from '../../src/cli/globals.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { BIN, runCli, spawnServer, type ServerProcess } from '../helpers/process.ts';
import { authenticatedSenders, BACKENDS, isProcessed, tempDir, waitFor, zoneFile } from '../helpers/server.ts';
import { postgresSettings } from '../helpers/postgres.ts';

// Every command is a process of its own, and a busy machine (CI runs the files side by side) makes each slower.
vi.setConfig({ testTimeout: 120_000 });

describe.each(BACKENDS)('on %s', (backend) => {
  const dataDir = tempDir('mailroom-cli-');
  // Mail from these domains is authenticated (aligned SPF for 127.0.0.1), so it can match by sender.
  const env: Record<string, string> = {
    MAILROOM_DATA_DIR: dataDir,
    MAILROOM_DNS_ZONE_FILE: zoneFile(dataDir, authenticatedSenders(['candidate.example', 'elsewhere.example'])),
  };
  let server: ServerProcess;

  beforeAll(async () => {
    // On PostgreSQL every command and the server share a database of their own, and the key.
    if (backend === 'postgres') {
      const shared = await postgresSettings();
      Object.assign(env, { MAILROOM_DATABASE_URL: shared.database.url, MAILROOM_SECRET_KEY: shared.secret.key });
    }
    const added = runCli(
      [
        'tenants',
        'add',
        'acme',
        '--name',
        'Acme Inc',
        '--domain',
        'acme.com',
        '--reply-domain',
        'replies.acme.com',
        '--forward-address',
        'acme-jobs@in.mailroom.test',
        '--json',
      ],
      env,
    );
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
      expect(show).toMatchObject({
        slug: 'acme',
        name: 'Acme Inc',
        domains: ['acme.com'],
        replyDomains: ['replies.acme.com'],
        forwardAddresses: ['acme-jobs@in.mailroom.test'],
      });
    });

    it('refuses bad tenant input with one clear line and exit 1', () => {
      const dup = runCli(['tenants', 'add', 'acme', '--domain', 'acme.com', '--reply-domain', 'r.acme.com'], env);
      expect(dup.code).toBe(1);
      expect(dup.stderr.trim()).toBe('mailroom: tenant "acme" already exists');
      const missing = runCli(['tenants', 'show', 'nope'], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no tenant "nope"/);
    });

    it('tenants update replaces the lists given (the running server takes a new address at once); tenants remove refuses a tenant with mail, then purges it', async () => {
      const added = runCli(['tenants', 'add', 'umbrella', '--domain', 'umbrella.com', '--reply-domain', 'replies.umbrella.com'], env);
      expect(added.code).toBe(0);
      const updated = runCli(
        [
          'tenants',
          'update',
          'umbrella',
          '--inbox',
          'jobs@umbrella.com',
          '--forward-address',
          'umbrella-jobs@in.mailroom.test',
          '--name',
          'Umbrella',
          '--json',
        ],
        env,
      );
      expect(updated.stderr).toBe('');
      expect(JSON.parse(updated.stdout)).toMatchObject({
        name: 'Umbrella',
        domains: ['umbrella.com'],
        replyDomains: ['replies.umbrella.com'],
        forwardAddresses: ['umbrella-jobs@in.mailroom.test'],
        inboxes: ['jobs@umbrella.com'],
      });
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true });
      const info = await transport.sendMail({ from: 'jane@candidate.example', to: 'umbrella-jobs@in.mailroom.test', subject: 'Application', text: 'Hello' });
      transport.close();
      expect(info.accepted).toEqual(['umbrella-jobs@in.mailroom.test']);

      const taken = runCli(['tenants', 'update', 'umbrella', '--reply-domain', 'replies.acme.com'], env);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(/replies\.acme\.com is already routed to tenant "acme"/);
      expect(runCli(['tenants', 'update', 'nope', '--name', 'X'], env).stderr).toMatch(/no tenant "nope" \(see: npx mailroom tenants list\)/);

      const refused = runCli(['tenants', 'remove', 'umbrella'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/umbrella has received messages: purge removes them with the tenant/);
      const purged = runCli(['tenants', 'remove', 'umbrella', '--purge'], env);
      expect(purged.stderr).toBe('');
      expect(purged.stdout).toMatch(/removed tenant umbrella and 1 message\(s\)/);
      expect(runCli(['tenants', 'show', 'umbrella'], env).stderr).toMatch(/no tenant "umbrella"/);
    });

    it('messages list/show with the documented JSON fields, and --raw', async () => {
      const info = await nodemailer.createTransport({ host: '127.0.0.1', port: server.port, secure: false, tls: { rejectUnauthorized: false } }).sendMail({
        from: 'Jane <jane@candidate.example>',
        to: 'careers+t0k@replies.acme.com',
        subject: 'Re: Interview',
        text: 'See you then\r\n',
        messageId: '<cli-1@candidate.example>',
      });
      const id = /queued as (\S+)/.exec(info.response)?.[1] as string;
      const listed = (): { id: string; status: string }[] => JSON.parse(runCli(['messages', 'list', '--json'], env).stdout) as { id: string; status: string }[];
      await waitFor(() => isProcessed(listed()[0]?.status), 10_000, 'processed');

      const [first] = listed() as Record<string, unknown>[];
      expect(first).toMatchObject({
        id,
        tenant: 'acme',
        status: 'unassigned',
        candidate: null,
        method: null,
        reason: 'unknown_sender',
        suggestions: [],
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
      expect(runCli(['messages', 'list', '--status', 'weird'], env).stderr).toMatch(
        /--status must be one of received, processed, assigned, unassigned, dismissed, failed/,
      );
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

  describe('mailroom candidates', () => {
    it('add, list, show, remove, with one clear line for bad input', () => {
      const added = runCli(
        [
          'candidates',
          'add',
          '--tenant',
          'acme',
          '--external-id',
          'c-1',
          '--name',
          'Jane Doe',
          '--email',
          'jane@candidate.example',
          '--email',
          'J.Doe@Other.Example',
          '--json',
        ],
        env,
      );
      expect(added.code).toBe(0);
      expect(JSON.parse(added.stdout)).toMatchObject({
        tenant: 'acme',
        externalId: 'c-1',
        name: 'Jane Doe',
        emails: ['j.doe@other.example', 'jane@candidate.example'],
      });
      expect(runCli(['candidates', 'list', '--tenant', 'acme'], env).stdout).toMatch(/c-1 .*Jane Doe/);
      expect(JSON.parse(runCli(['candidates', 'show', 'c-1', '--json'], env).stdout)).toMatchObject({ externalId: 'c-1' });
      const bad = runCli(['candidates', 'add', '--tenant', 'acme', '--external-id', 'c-2', '--name', 'X', '--email', 'nope'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim()).toBe('mailroom: candidate c-2: "nope" is not an email address');
      expect(runCli(['candidates', 'remove', 'c-1'], env).stdout).toMatch(/removed candidate c-1 of tenant acme/);
      expect(runCli(['candidates', 'show', 'c-1'], env).code).toBe(1);
    });

    it('imports CSV and JSON by external id with a summary of created, updated and rejected rows', () => {
      const dir = tempDir();
      const csv = join(dir, 'candidates.csv');
      writeFileSync(
        csv,
        'external_id,name,email,email2\nk-1,Ann,ann@candidate.example,\nk-2,Bob,bob@candidate.example;bobby@candidate.example,\nk-3,,carl@candidate.example,\nk-4,Dan,not-an-address,\n',
      );
      const first = JSON.parse(runCli(['candidates', 'import', csv, '--tenant', 'acme', '--json'], env).stdout) as {
        created: number;
        updated: number;
        rejected: { line: number; reason: string }[];
      };
      expect(first).toMatchObject({ created: 2, updated: 0 });
      expect(first.rejected).toEqual([
        { line: 4, reason: 'candidate k-3: a name is required' },
        { line: 5, reason: 'candidate k-4: "not-an-address" is not an email address' },
      ]);
      const json = join(dir, 'candidates.json');
      writeFileSync(
        json,
        JSON.stringify([
          { externalId: 'k-1', name: 'Ann Smith', emails: ['ann@candidate.example'] },
          { externalId: 'k-5', name: 'Eve', emails: ['eve@candidate.example'] },
        ]),
      );
      const second = runCli(['candidates', 'import', json, '--tenant', 'acme'], env);
      expect(second.stdout).toMatch(/^1 created, 1 updated, 0 rejected/);
      expect(JSON.parse(runCli(['candidates', 'show', 'k-2', '--json'], env).stdout).emails).toEqual(['bob@candidate.example', 'bobby@candidate.example']);
      expect(runCli(['candidates', 'import', join(dir, 'missing.csv'), '--tenant', 'acme'], env).stderr).toMatch(/cannot read/);
    });

    it('searches a tenant by name, address or external id: a table for people, JSON for scripts', () => {
      const found = JSON.parse(runCli(['candidates', 'search', '--tenant', 'acme', 'bob', 'candidate.example', '--json'], env).stdout) as {
        externalId: string;
      }[];
      expect(found.map((c) => c.externalId)).toEqual(['k-2']);
      expect(runCli(['candidates', 'search', '--tenant', 'acme', 'ann', 'smith'], env).stdout).toMatch(/│ k-1 +│ Ann Smith +│ ann@candidate\.example/);
      expect(runCli(['candidates', 'search', '--tenant', 'acme', 'nobody'], env).stdout).toMatch(/no candidate of acme has every word of "nobody"/);
      const unknown = runCli(['candidates', 'search', '--tenant', 'nosuch', 'ann'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/nosuch/);
    });
  });

  describe('mailroom unassigned and reprocess', () => {
    async function send(from: string, subject: string): Promise<string> {
      const info = await nodemailer
        .createTransport({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true })
        .sendMail({ from, to: 'careers@replies.acme.com', subject, text: 'Hello\r\n' });
      const id = /queued as (\S+)/.exec(info.response)?.[1] as string;
      await waitFor(() => isProcessed((JSON.parse(runCli(['messages', 'show', id, '--json'], env).stdout) as { status: string }).status), 10_000, 'processed');
      return id;
    }
    const status = (id: string): Record<string, unknown> => JSON.parse(runCli(['messages', 'show', id, '--json'], env).stdout) as Record<string, unknown>;

    it('lists the queue with reasons, re-matches after a candidate arrives, assigns and dismisses by hand', async () => {
      const later = await send('later@candidate.example', 'Question');
      const manual = await send('private@elsewhere.example', 'From my private address');
      const spam = await send('noise@elsewhere.example', 'Not for us');

      const queue = JSON.parse(runCli(['unassigned', 'list', '--tenant', 'acme', '--reason', 'unknown_sender', '--json'], env).stdout) as {
        id: string;
        reason: string;
      }[];
      expect(queue.map((m) => m.id)).toEqual(expect.arrayContaining([later, manual, spam]));
      expect(runCli(['unassigned', 'list'], env).stdout).toMatch(/unknown_sender/);
      expect(runCli(['unassigned', 'show', later], env).stdout).toMatch(/why here\s+unknown_sender/);
      expect(runCli(['unassigned', 'show', manual], env).stdout).toMatch(/remember\s+private@elsewhere\.example \(the From address/);
      expect(runCli(['unassigned', 'list', '--since', 'yesterday-ish'], env).stderr).toMatch(/--since must be a date/);
      expect(runCli(['unassigned', 'list', '--limit', 'abc'], env).stderr).toMatch(/--limit must be a whole number/);

      runCli(['candidates', 'add', '--tenant', 'acme', '--external-id', 'c-later', '--name', 'Later', '--email', 'later@candidate.example'], env);
      expect(runCli(['reprocess', later], env).stdout).toMatch(/1 message\(s\) queued/);
      await waitFor(() => status(later).status === 'assigned', 10_000, 'assigned after reprocess');
      expect(status(later)).toMatchObject({ method: 'sender', candidate: { externalId: 'c-later' } });

      runCli(['candidates', 'add', '--tenant', 'acme', '--external-id', 'c-manual', '--name', 'Manual', '--email', 'work@candidate.example'], env);
      expect(runCli(['unassigned', 'assign', manual, '--candidate', 'c-manual', '--remember-address'], env).stdout).toMatch(
        /assigned .* to c-manual .*private@elsewhere.example added/,
      );
      expect(status(manual)).toMatchObject({ status: 'assigned', method: 'manual', candidate: { externalId: 'c-manual' } });
      expect((JSON.parse(runCli(['candidates', 'show', 'c-manual', '--json'], env).stdout) as { emails: string[] }).emails).toContain(
        'private@elsewhere.example',
      );

      expect(runCli(['unassigned', 'dismiss', spam, '--note', 'newsletter'], env).stdout).toMatch(/dismissed/);
      expect(status(spam).status).toBe('dismissed');
      const again = runCli(['unassigned', 'dismiss', spam], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/is dismissed, not unassigned/);

      // Taken back within the window: it waits again, and the filing by hand can be undone too.
      expect(runCli(['unassigned', 'undo', spam], env).stdout).toMatch(new RegExp(`undone: ${spam} waits in the unassigned queue again`));
      expect(status(spam).status).toBe('unassigned');
      expect((JSON.parse(runCli(['unassigned', 'undo', manual, '--json'], env).stdout) as { status: string }).status).toBe('unassigned');
      expect((JSON.parse(runCli(['candidates', 'show', 'c-manual', '--json'], env).stdout) as { emails: string[] }).emails).toEqual(['work@candidate.example']);
      const twice = runCli(['unassigned', 'undo', spam], env);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toMatch(/only a filing or dismissal by hand can be undone/);
    }, 90_000);
  });

  describe('mailroom tokens and the HTTP API of `serve`', () => {
    it('creates a token shown once, which the running server accepts until it is revoked', async () => {
      const created = runCli(['tokens', 'create', '--tenant', 'acme', '--name', 'ats-sync', '--json'], env);
      expect(created.code).toBe(0);
      const { id, token } = JSON.parse(created.stdout) as { id: number; token: string };
      expect(token).toMatch(/^mrt_[a-z2-7]{32}$/);
      const listed = runCli(['tokens', 'list'], env).stdout;
      expect(listed).toContain('ats-sync');
      expect(listed).not.toContain(token);
      const get = (): Promise<Response> => fetch(`http://127.0.0.1:${server.httpPort}/v1/messages`, { headers: { authorization: `Bearer ${token}` } });
      expect((await get()).status).toBe(200);
      expect(runCli(['tokens', 'revoke', String(id)], env).code).toBe(0);
      expect((await get()).status).toBe(401);
      expect(runCli(['tokens', 'revoke', String(id)], env).stderr).toMatch(/no live token/);
    });
  });

  describe('a platform token', () => {
    it('is made only at the command line, and creates tenants over the API of the running server', async () => {
      expect(runCli(['tokens', 'create'], env).stderr).toMatch(/give --tenant <slug> for a tenant token, or --platform/);
      const created = runCli(['tokens', 'create', '--platform', '--name', 'platform', '--json'], env);
      expect(created.stderr).toBe('');
      const { token, reach, tenant } = JSON.parse(created.stdout) as { token: string; reach: string; tenant: string | null };
      expect([reach, tenant]).toEqual(['platform', null]);
      expect(runCli(['tokens', 'list'], env).stdout).toMatch(/│ \(platform\) │ platform/);
      // A connection of its own (agent: false): fetch would reuse a kept-alive socket the server may be closing, and a POST is not retried.
      const status = await new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ slug: 'soylent', domains: ['soylent.com'], replyDomains: ['replies.soylent.com'] });
        const req = httpRequest(
          `http://127.0.0.1:${server.httpPort}/v1/tenants`,
          { method: 'POST', agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(201);
      expect(JSON.parse(runCli(['tenants', 'show', 'soylent', '--json'], env).stdout)).toMatchObject({ replyDomains: ['replies.soylent.com'] });
    });
  });

  describe("operators' terminals", () => {
    it('strips control sequences a sender wrote from what people read, and keeps raw bytes off a terminal', async () => {
      const hostile = 'Hello \x1b]0;owned\x07\x1b[2J\x9b31m there';
      const info = await nodemailer
        .createTransport({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true })
        .sendMail({ from: `"Eve \x1b[31m" <eve@elsewhere.example>`, to: 'careers@replies.acme.com', subject: hostile, text: `${hostile}\r\n` });
      const id = /queued as (\S+)/.exec(info.response)?.[1] as string;
      await waitFor(() => isProcessed((JSON.parse(runCli(['messages', 'show', id, '--json'], env).stdout) as { status: string }).status), 10_000, 'processed');

      for (const args of [
        ['messages', 'show', id],
        ['messages', 'list'],
        ['unassigned', 'show', id],
        ['unassigned', 'list'],
      ]) {
        const out = runCli(args, env).stdout;
        expect(out, args.join(' ')).toContain('there');
        // eslint-disable-next-line no-control-regex -- looking for control characters
        expect(out, args.join(' ')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
      }
      // --json is for programs: the text stays as it was (JSON escapes it).
      expect((JSON.parse(runCli(['messages', 'show', id, '--json'], env).stdout) as { subject: string }).subject).toBe(hostile);

      // Piped, --raw gives the bytes as they are.
      expect(runCli(['messages', 'show', id, '--raw'], env).stdout).toContain('Subject:');
      // To a terminal (script(1) gives the command one), it refuses without --force.
      const tty = spawnSync('script', ['-qec', `${process.execPath} bin/mailroom.js messages show ${id} --raw`, '/dev/null'], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      expect(tty.status).not.toBe(0);
      expect(tty.stdout).toMatch(/terminal escape sequences.*--out FILE.*--force/s);
      const file = join(tempDir(), 'raw.eml');
      expect(runCli(['messages', 'show', id, '--raw', '--out', file], env).code).toBe(0);
      expect(readFileSync(file, 'latin1')).toContain('Subject:');
    });
  });
});

describe('the data directory', () => {
  /** The CLI in a directory of its own, as an operator runs it there; `asNobody` drops root (which may write anywhere). */
  const run = (
    args: string[],
    options: { cwd: string; env?: Record<string, string>; asNobody?: boolean },
  ): { code: number; stderr: string; stdout: string } => {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAILROOM_'))), ...options.env };
    const root = options.asNobody && process.getuid?.() === 0;
    const [cmd, ...rest] = root
      ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args]
      : [process.execPath, BIN, ...args];
    const result = spawnSync(cmd as string, rest, { cwd: options.cwd, env, encoding: 'utf8' });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };

  it('the read-only commands are commands that exist', async () => {
    const paths = (command: Command, prefix: string[]): string[] =>
      command.commands.flatMap((sub) => [[...prefix, sub.name()].join(' '), ...paths(sub, [...prefix, sub.name()])]);
    expect(paths(await buildProgram(), [])).toEqual(expect.arrayContaining([...READ_ONLY_COMMANDS]));
  });

  it('a read-only command where there is no data says so and creates nothing', () => {
    const cwd = tempDir('mailroom-nodata-');
    for (const args of [['messages', 'list'], ['unassigned', 'list'], ['stats'], ['tenants', 'list', '--json']]) {
      const result = run(args, { cwd });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `mailroom: no mailroom data in ${join(cwd, 'data')} (data.dir): start the server with \`npx mailroom serve\` or pass --data-dir / set data.dir\n`,
      );
    }
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    // From the environment, it names the variable; --data-dir finds the data.
    const elsewhere = join(cwd, 'elsewhere');
    expect(run(['stats'], { cwd, env: { MAILROOM_DATA_DIR: elsewhere } }).stderr).toContain(
      `no mailroom data in ${elsewhere} (data.dir, set by MAILROOM_DATA_DIR)`,
    );
    expect(run(['--data-dir', elsewhere, 'tenants', 'add', 'acme', '--domain', 'acme.com', '--reply-domain', 'replies.acme.com'], { cwd }).code).toBe(0);
    const listed = run(['--data-dir', elsewhere, 'tenants', 'list', '--json'], { cwd });
    expect(listed.stderr).toBe('');
    expect((JSON.parse(listed.stdout) as { slug: string }[]).map((t) => t.slug)).toEqual(['acme']);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  it('a data directory that cannot be created or written gives one line naming it, the setting and the fix', () => {
    const cwd = tempDir('mailroom-baddata-');
    writeFileSync(join(cwd, 'afile'), '');
    const inTheWay = run(['tenants', 'add', 'acme', '--domain', 'acme.com'], { cwd, env: { MAILROOM_DATA_DIR: join(cwd, 'afile', 'data') } });
    expect(inTheWay.code).toBe(73);
    expect(inTheWay.stderr).toBe(
      `mailroom: cannot create or write the data directory ${join(cwd, 'afile', 'data')} (data.dir, set by MAILROOM_DATA_DIR): a file is in the way of the path: move that file away, or point --data-dir / data.dir at another directory\n`,
    );

    const locked = join(cwd, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    chmodSync(locked, 0o555);
    chmodSync(cwd, 0o755);
    const config = join(cwd, 'mailroom.yaml');
    writeFileSync(config, `data:\n  dir: ${join(locked, 'data')}\n`);
    for (const args of [
      ['--config', config, 'tenants', 'add', 'acme', '--domain', 'acme.com'],
      ['--config', config, 'serve'],
    ]) {
      const denied = run(args, { cwd, asNobody: true });
      expect(denied.code, args.join(' ')).toBe(73);
      expect(denied.stderr, args.join(' ')).toBe(
        `mailroom: cannot create or write the data directory ${join(locked, 'data')} (data.dir): permission denied: make it writable by the user mailroom runs as, or point --data-dir / data.dir at another directory\n`,
      );
    }
  });
});
