// Signing in to the console, against a real server over HTTP: the address is
// read in one spelling for the password check and the per-address limit alike
// (an address with a space in it is not the user's), behind a listed proxy the
// per-client limit counts the client X-Forwarded-For names (and only there),
// easily guessed passwords are refused with the reason on the form, and a
// CSRF token of multibyte characters is a 403 like any wrong one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addConsoleUser, completeSetup, EVERY_TENANT, signIn } from '../../src/operations/index.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery staple';
let proxied: TestServer;
let direct: TestServer;

const baseOf = (t: TestServer): string => `http://127.0.0.1:${t.server.http?.port}`;

function login(t: TestServer, email: string, password: string, forwardedFor?: string): Promise<Response> {
  return fetch(`${baseOf(t)}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: new URLSearchParams({ email, password }).toString(),
  });
}

async function user(t: TestServer, email: string): Promise<void> {
  const { setupToken } = await addConsoleUser(t.ctx, EVERY_TENANT, { tenant: 'acme', email, role: 'recruiter' });
  await completeSetup(t.ctx, setupToken, PASSWORD);
}

beforeAll(async () => {
  // The proxy in front is on loopback, as the test client is.
  proxied = await startTestServer({ overrides: { http: { trustedProxies: '10.0.0.0/8, 127.0.0.1' } } });
  direct = await startTestServer();
  await user(proxied, 'rick@acme.com');
  await user(direct, 'rick@acme.com');
}, 60_000);

afterAll(async () => {
  await proxied?.cleanup();
  await direct?.cleanup();
});

describe('console sign-in', () => {
  it('reads the address in one spelling: a space inside is refused, case, a trailing dot and full-width letters fold, and all share one count', async () => {
    expect((await login(proxied, 'rick @acme.com', PASSWORD, '198.51.100.1')).status).toBe(401);
    expect((await login(proxied, 'rick@ acme.com', PASSWORD, '198.51.100.1')).status).toBe(401);
    expect((await login(proxied, 'RICK@acme.com.', PASSWORD, '198.51.100.2')).status).toBe(303);
    expect((await login(proxied, 'ｒｉｃｋ＠ａｃｍｅ．ｃｏｍ', PASSWORD, '198.51.100.3')).status).toBe(303);
    // Each try from another client, so only the per-address count can stop them: 2 sign-ins above, 8 failures here, then 429.
    // (A try comes back every six seconds: on a slow machine one more may pass.)
    const spellings = ['rick@acme.com', 'Rick@Acme.com', 'rick@acme.com.', 'ｒｉｃｋ@acme.com', 'RICK@ACME.COM.'];
    const tries: number[] = [];
    for (let i = 0; i < 11; i++) tries.push((await login(proxied, spellings[i % spellings.length] as string, 'wrong guess', `198.51.100.${10 + i}`)).status);
    expect(tries.slice(0, 8)).toEqual(Array(8).fill(401));
    expect(tries.filter((s) => s === 401).length).toBeLessThanOrEqual(9);
    expect(tries[10]).toBe(429);
    expect((await login(proxied, 'rick@acme.com', PASSWORD, '198.51.100.99')).status).toBe(429);
  });

  it('behind a listed proxy counts the right-most address that is not a proxy; without one, X-Forwarded-For changes nothing', async () => {
    // Ten failures of one client, 203.0.113.7, behind two proxies (10.9.9.9, then the socket's 127.0.0.1).
    // What the client claims (192.0.2.x) differs each time; the proxies append the address they saw.
    for (let i = 0; i < 10; i++) await login(proxied, `nobody${i}@acme.com`, 'x', `192.0.2.${i}, 203.0.113.7, 10.9.9.9`);
    expect((await login(proxied, 'nobody-else@acme.com', 'x', '192.0.2.77, 203.0.113.7, 10.9.9.9')).status).toBe(429);
    // Another client behind the same proxy is not locked out.
    expect((await login(proxied, 'another@acme.com', 'x', '203.0.113.8')).status).toBe(401);

    // Not behind a listed proxy: the header is anyone's to write, so the socket is the client.
    for (let i = 0; i < 10; i++) await login(direct, `nobody${i}@acme.com`, 'x', `192.0.2.${i}`);
    expect((await login(direct, 'another@acme.com', 'x', '203.0.113.8')).status).toBe(429);
  });

  it('refuses easily guessed passwords with the reason, on the form too', async () => {
    const { setupToken } = await addConsoleUser(direct.ctx, EVERY_TENANT, { tenant: 'acme', email: 'paula@acme.com', role: 'recruiter' });
    for (const weak of ['aaaaaaaaaaaaaaaa', 'password12345678', 'qwertyuiopasdfgh', 'abcabcabcabcabc1'])
      await expect(completeSetup(direct.ctx, setupToken, weak)).rejects.toMatchObject({ kind: 'invalid', field: 'password', message: /too easy to guess/ });
    const form = await fetch(`${baseOf(direct)}/console/setup`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: setupToken, password: 'iloveyou12345678' }).toString(),
    });
    expect(form.status).toBe(400);
    expect(await form.text()).toMatch(/too easy to guess/);
    expect((await completeSetup(direct.ctx, setupToken, 'lantern orbit quietly mango')).email).toBe('paula@acme.com');
  });

  it('answers a CSRF token of multibyte characters with 403, as any wrong token', async () => {
    // Signed in through the operation: the form's per-client limit is spent by the test above.
    const cookie = (await signIn(direct.ctx, 'rick@acme.com', PASSWORD))?.sessionId ?? '';
    for (const csrf of ['é'.repeat(32), '💥'.repeat(16), 'x']) {
      const r = await fetch(`${baseOf(direct)}/console/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: `mailroom_session=${cookie}`, 'content-type': 'application/x-www-form-urlencoded', origin: baseOf(direct) },
        body: new URLSearchParams({ csrf }).toString(),
      });
      expect(r.status).toBe(403);
    }
  });
});
