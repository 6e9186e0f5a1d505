// Sending accounts through the operator's CLI, as separate processes against a
// running `mailroom serve` and a local provider: add (secret from the
// environment or stdin, sealed at rest), list/show masked, the staged
// connection test with provider advice, the test email's round trip through our
// own MX, send and outbound, and key rotation while the server runs.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync, spawnServer, type ServerProcess } from '../helpers/process.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { tempDir, waitFor } from '../helpers/server.ts';
import { eventValidator } from '../helpers/event-schemas.ts';

const PASSWORD = 'correct-horse-battery-staple-42';
const dataDir = tempDir('mailroom-accounts-');
// The webhook receivers of these tests listen on loopback.
const env = { MAILROOM_DATA_DIR: dataDir, MAILROOM_RELAY_POLL_INTERVAL_MS: '100', MAILROOM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' };
let server: ServerProcess;
let provider: Provider;
let caFile: string;

function json<T>(result: { code: number; stdout: string; stderr: string }): T {
  expect(result.stderr, result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

function addAccount(name: string, extra: string[] = [], password = PASSWORD): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliAsync(
    [
      'accounts',
      'add',
      '--tenant',
      'acme',
      '--name',
      name,
      '--host',
      '127.0.0.1',
      '--port',
      String(provider.port),
      '--security',
      'starttls',
      '--tls-ca',
      caFile,
      '--user',
      'recruiter@acme.com',
      '--password-env',
      'SMTP_PASSWORD',
      '--from',
      'recruiter@acme.com',
      '--from-name',
      'Acme Recruiting',
      '--reply-to',
      'careers',
      '--json',
      ...extra,
    ],
    { ...env, SMTP_PASSWORD: password },
  );
}

/** The JSON a command printed even when it exits 1 (a failed test prints its report). */
function report<T>(result: { code: number; stdout: string; stderr: string }): T {
  expect(result.stdout, result.stderr).not.toBe('');
  return JSON.parse(result.stdout) as T;
}

/** Every file under the data dir, as bytes. */
function dataDirBytes(dir: string): Buffer[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name)));
}

beforeAll(async () => {
  json(runCli(['tenants', 'add', 'acme', '--domain', 'acme.com', '--reply-domain', 'replies.acme.com', '--json'], env));
  server = await spawnServer(env);
  provider = await startProvider({
    secure: false,
    users: { 'recruiter@acme.com': PASSWORD },
    deliverTo: (to) => (to.every((a) => a.endsWith('@replies.acme.com')) ? server.port : null),
  });
  caFile = join(tempDir(), 'provider-ca.pem');
  writeFileSync(caFile, provider.ca);
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  await provider.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('accounts', () => {
  it('adds an account with a sealed password and shows it masked; the plain password is in no file of the data dir', async () => {
    const { id } = json<{ id: number }>(await addAccount('main', ['--default']));
    expect(id).toBeGreaterThan(0);
    const shown = json<Record<string, unknown>>(runCli(['accounts', 'show', String(id), '--json'], env));
    expect(shown).toMatchObject({
      id,
      tenant: 'acme',
      password: '********',
      status: 'pending',
      default: true,
      security: 'starttls',
      tlsCa: 'custom',
      replyTo: 'careers',
    });
    const table = runCli(['accounts', 'list'], env).stdout;
    expect(table).toMatch(/main \(default\)/);
    expect(table).toMatch(/pending/);
    expect(table).not.toContain(PASSWORD);
    for (const bytes of dataDirBytes(dataDir)) expect(bytes.includes(PASSWORD)).toBe(false);
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);

    const fromStdin = await runCliAsync(
      [
        'accounts',
        'add',
        '--tenant',
        'acme',
        '--name',
        'stdin',
        '--provider',
        'office365',
        '--user',
        'u@acme.com',
        '--password-stdin',
        '--from',
        'u@acme.com',
        '--json',
      ],
      env,
      `${PASSWORD}\n`,
    );
    const stdinAccount = json<{ id: number }>(fromStdin);
    expect(json<Record<string, unknown>>(runCli(['accounts', 'show', String(stdinAccount.id), '--json'], env))).toMatchObject({
      host: 'smtp.office365.com',
      port: 587,
      security: 'starttls',
      perMinute: 30,
    });
  });

  it('refuses what cannot work, saying why', async () => {
    const noSecret = runCli(['accounts', 'add', '--tenant', 'acme', '--name', 'x', '--host', 'h', '--user', 'u', '--from', 'a@acme.com'], env);
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toMatch(/exactly one of --password-env VAR, --password-stdin/);
    const plain = runCli(
      ['accounts', 'add', '--tenant', 'acme', '--name', 'x', '--host', 'h', '--security', 'none', '--user', 'u', '--password-env', 'P', '--from', 'a@acme.com'],
      { ...env, P: 'x' },
    );
    expect(plain.stderr).toMatch(/--allow-plain/);
    const unset = runCli(
      ['accounts', 'add', '--tenant', 'acme', '--name', 'x', '--host', 'h', '--user', 'u', '--password-env', 'NOT_SET_ANYWHERE', '--from', 'a@acme.com'],
      env,
    );
    expect(unset.stderr).toMatch(/NOT_SET_ANYWHERE is not set/);
    const empty = runCli(['accounts', 'list', '--tenant', 'acme'], { ...env, MAILROOM_DATA_DIR: tempDir() });
    expect(empty.code).toBe(1);
  });

  it('tests the connection in stages and says what to do when one fails', async () => {
    const { id } = json<{ id: number }>(await addAccount('staged'));
    const receivedBefore = provider.received.length;
    const ok = json<{ ok: boolean; stages: { stage: string }[] }>(await runCliAsync(['accounts', 'test', String(id), '--json'], env));
    // MAIL FROM was tried, but no message was handed over.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(provider.received.length).toBe(receivedBefore);
    expect(ok.ok).toBe(true);
    expect(ok.stages.map((s) => s.stage)).toEqual(['resolve', 'connect', 'tls', 'ehlo', 'auth', 'mail_from']);
    expect(json<{ status: string }>(runCli(['accounts', 'show', String(id), '--json'], env)).status).toBe('active');

    const cases: [() => void, string, RegExp][] = [
      [() => provider.script.auth.push({ code: 534, text: '5.7.9 Application-specific password required.' }), 'auth', /app password/],
      [
        () => provider.script.auth.push({ code: 535, text: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' }),
        'auth',
        /SMTP AUTH disabled/,
      ],
      [
        () => provider.script.mailFrom.push({ code: 550, text: '5.7.60 SMTP; Client does not have permissions to send as this sender' }),
        'mail_from',
        /Send As/,
      ],
    ];
    for (const [arrange, stage, advice] of cases) {
      arrange();
      const failed = await runCliAsync(['accounts', 'test', String(id), '--json'], env);
      expect(failed.code, failed.stdout).toBe(1);
      const result = JSON.parse(failed.stdout) as { ok: boolean; stage: string; advice: string };
      expect(result).toMatchObject({ ok: false, stage });
      expect(result.advice).toMatch(advice);
    }
    const shown = json<{ status: string; lastError: string }>(runCli(['accounts', 'show', String(id), '--json'], env));
    expect(shown.status).toBe('failing');
    expect(shown.lastError).toMatch(/5\.7\.60/);

    const wrong = json<{ id: number }>(await addAccount('wrong-password', [], 'not-it'));
    const refused = report<{ stage: string; error: string }>(await runCliAsync(['accounts', 'test', String(wrong.id), '--json'], env));
    expect(refused).toMatchObject({ stage: 'auth', error: expect.stringContaining('535') });

    // Implicit TLS against a STARTTLS port: the classic 465/587 mix-up.
    const mixedUp = json<{ id: number }>(
      await runCliAsync(
        [
          'accounts',
          'add',
          '--tenant',
          'acme',
          '--name',
          'mixed',
          '--host',
          '127.0.0.1',
          '--port',
          String(provider.port),
          '--security',
          'tls',
          '--user',
          'u',
          '--password-env',
          'P',
          '--from',
          'recruiter@acme.com',
          '--json',
        ],
        { ...env, P: 'x' },
      ),
    );
    const tls = report<{ stage: string; advice: string }>(await runCliAsync(['accounts', 'test', String(mixedUp.id), '--json'], env));
    expect(tls.stage).toBe('tls');
    expect(tls.advice).toMatch(/security to starttls/);

    // Nothing listening: refused at the connect stage.
    const closed = json<{ id: number }>(
      await runCliAsync(
        [
          'accounts',
          'add',
          '--tenant',
          'acme',
          '--name',
          'closed',
          '--host',
          '127.0.0.1',
          '--port',
          '1',
          '--user',
          'u',
          '--password-env',
          'P',
          '--from',
          'recruiter@acme.com',
          '--json',
        ],
        { ...env, P: 'x' },
      ),
    );
    const connect = report<{ stage: string; advice: string }>(await runCliAsync(['accounts', 'test', String(closed.id), '--json'], env));
    expect(connect.stage).toBe('connect');
    expect(connect.advice).toMatch(/nothing accepts connections on port 1/);
  });

  it('sends a test email that comes back through our MX into the unassigned queue and marks the account active', async () => {
    const { id } = json<{ id: number }>(await addAccount('round-trip'));
    const result = json<{ ok: boolean; inboundId: string; messageId: string; to: string }>(
      await runCliAsync(['accounts', 'test-email', String(id), '--timeout', '20', '--json'], env),
    );
    expect(result.ok).toBe(true);
    expect(result.to).toMatch(/^careers\+[a-z2-7]+@replies\.acme\.com$/);
    expect(json<{ status: string }>(runCli(['accounts', 'show', String(id), '--json'], env)).status).toBe('active');
    const queue = json<{ id: string; reason: string }[]>(runCli(['unassigned', 'list', '--reason', 'test_email', '--json'], env));
    expect(queue.map((m) => m.id)).toContain(result.inboundId);
  });

  it('queues with send, the server relay sends it, outbound list/show report it', async () => {
    json(runCli(['candidates', 'add', '--tenant', 'acme', '--external-id', 'c-1', '--name', 'Jane', '--email', 'jane@candidate.example', '--json'], env));
    const queued = json<{ id: string; messageId: string; replyTo: string; status: string }>(
      runCli(
        ['send', '--tenant', 'acme', '--to', 'jane@candidate.example', '--subject', 'Interview', '--text', 'Tuesday?', '--candidate', 'c-1', '--json'],
        env,
      ),
    );
    expect(queued).toMatchObject({ status: 'queued', messageId: expect.stringMatching(/^<.+@acme\.com>$/) });
    await waitFor(() => json<{ status: string }>(runCli(['outbound', 'show', queued.id, '--json'], env)).status === 'sent', 15_000, 'sent by the server');
    expect(provider.received.some((m) => m.raw.includes(queued.messageId.slice(1, -1)))).toBe(true);
    const listed = json<{ id: string }[]>(runCli(['outbound', 'list', '--status', 'sent', '--json'], env));
    expect(listed.map((o) => o.id)).toContain(queued.id);
    const badCandidate = runCli(['send', '--tenant', 'acme', '--to', 'x@y.example', '--subject', 'S', '--text', 'T', '--candidate', 'nobody'], env);
    expect(badCandidate.stderr).toMatch(/no candidate "nobody"/);
  });

  it('rotates the secret key while the server runs: secrets re-sealed, sending and testing still work', async () => {
    const before = json<{ secretKey: { id: string }; sealedSecretsByKey: Record<string, number> }>(runCli(['keys', 'list', '--json'], env));
    const rotated = json<{ keyId: string; resealed: number }>(runCli(['keys', 'rotate', '--json'], env));
    expect(rotated.keyId).not.toBe(before.secretKey.id);
    expect(rotated.resealed).toBe(Object.values(before.sealedSecretsByKey).reduce((a, b) => a + b, 0));
    const after = json<{ sealedSecretsByKey: Record<string, number> }>(runCli(['keys', 'list', '--json'], env));
    expect(Object.keys(after.sealedSecretsByKey)).toEqual([rotated.keyId]);
    const main = json<{ id: number; name: string }[]>(runCli(['accounts', 'list', '--json'], env)).find((a) => a.name === 'main')!;
    expect(json<{ ok: boolean }>(await runCliAsync(['accounts', 'test', String(main.id), '--json'], env)).ok).toBe(true);
    const queued = json<{ id: string }>(
      runCli(['send', '--tenant', 'acme', '--to', 'jane@candidate.example', '--subject', 'After rotation', '--text', 'x', '--json'], env),
    );
    await waitFor(() => json<{ status: string }>(runCli(['outbound', 'show', queued.id, '--json'], env)).status === 'sent', 15_000, 'sent after rotation');
  });
});

describe('webhooks CLI', () => {
  it("adds an endpoint (secret shown once), delivers the relay's events signed with it, rotates, replays, lists and removes", async () => {
    // Every event it gets is checked against its schema in the served OpenAPI document.
    const receiver = await startReceiver('/hooks', await eventValidator(`http://127.0.0.1:${server.httpPort}`));
    try {
      const bad = runCli(['webhooks', 'add', '--tenant', 'acme', '--url', receiver.url, '--events', 'outbound.sent,nope'], env);
      expect(bad.stderr).toMatch(/unknown: nope/);
      const added = json<{ id: number; secret: string }>(
        await runCliAsync(['webhooks', 'add', '--tenant', 'acme', '--url', receiver.url, '--events', 'outbound.sent,outbound.failed', '--json'], env),
      );
      expect(added.secret).toMatch(/^whsec_/);
      receiver.secrets.push(added.secret);
      const since = new Date().toISOString();
      const queued = json<{ id: string }>(
        await runCliAsync(['send', '--tenant', 'acme', '--to', 'jane@candidate.example', '--subject', 'Hook', '--text', 'x', '--json'], env),
      );
      await waitFor(() => receiver.events.some((e) => e.type === 'outbound.sent'), 15_000, 'outbound.sent delivered');
      expect(receiver.events[0]).toMatchObject({ type: 'outbound.sent', tenant: 'acme', data: { outbound: { id: queued.id, status: 'sent' } } });
      expect(receiver.badSignatures).toEqual([]);
      expect((receiver.events[0]?.data.outbound as { failure: unknown }).failure).toBeNull();

      // A refusal arrives as outbound.failed with the failure typed (and checked against the document's schema).
      provider.script.data.push({ code: 554, text: '5.7.1 Message rejected as spam' });
      const refused = json<{ id: string }>(
        await runCliAsync(['send', '--tenant', 'acme', '--to', 'jane@candidate.example', '--subject', 'Spam?', '--text', 'x', '--json'], env),
      );
      await waitFor(() => receiver.events.some((e) => e.type === 'outbound.failed'), 15_000, 'outbound.failed delivered');
      expect(receiver.events.find((e) => e.type === 'outbound.failed')).toMatchObject({
        data: {
          outbound: {
            id: refused.id,
            status: 'failed',
            failure: { permanent: true, code: 554, enhancedCode: '5.7.1', line: '554 5.7.1 Message rejected as spam', cause: 'refused' },
          },
        },
      });
      expect(receiver.invalidEvents).toEqual([]);

      const rotated = json<{ secret: string; previousSecretValidUntil: string }>(
        await runCliAsync(['webhooks', 'rotate-secret', String(added.id), '--json'], env),
      );
      receiver.secrets.splice(0, 1, rotated.secret);
      expect(json<{ queued: number }>(await runCliAsync(['webhooks', 'replay', '--webhook', String(added.id), '--since', since, '--json'], env)).queued).toBe(
        2,
      );
      await waitFor(() => receiver.events.length === 4, 15_000, 'replayed');
      expect(receiver.badSignatures).toEqual([]);
      expect(receiver.invalidEvents).toEqual([]);

      const listed = json<{ id: number; status: string; events: string[]; pending: number }[]>(runCli(['webhooks', 'list', '--json'], env));
      expect(listed.find((w) => w.id === added.id)).toMatchObject({ status: 'active', events: ['outbound.sent', 'outbound.failed'], pending: 0 });
      expect(JSON.stringify(listed)).not.toContain(rotated.secret);
      expect(runCli(['webhooks', 'remove', String(added.id)], env).code).toBe(0);
      expect(json<unknown[]>(runCli(['webhooks', 'list', '--json'], env))).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
