// "Sign in with Google / Microsoft" end to end, against the stand-in
// authorization server, on both backends: the console's sign-in and the
// platform's (POST /v1/accounts/oauth, the browser sent on to its returnUrl)
// finish on another node than the one that started them (two nodes on one
// PostgreSQL; on SQLite the server restarted on the same file), once only; an
// id token from the wrong issuer, for another client, expired, or without a
// verified address adds nothing; a return URL outside oauth.allowedReturnUrls
// is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { addConsoleUser, completeSetup, createApiToken, EVERY_TENANT, signIn } from '../../src/operations/index.ts';
import { createContext, type Context } from '../../src/context.ts';
import { startServer } from '../../src/server/server.ts';
import { startAuthServer, type StandInAuthServer } from '../helpers/oauth-server.ts';
import { postgresSettings } from '../helpers/postgres.ts';
import { BACKENDS, seedTenants, tempDir, testConfig, type BackendName } from '../helpers/server.ts';

const RETURN = 'https://platform.example/settings/email';

interface Node {
  ctx: Context;
  base: string;
  stop(): Promise<void>;
}

describe.each(BACKENDS)('OAuth sign-in on %s', (backend: BackendName) => {
  let auth: StandInAuthServer;
  let first: Node;
  let second: Node;
  let token: string;
  let globexToken: string;

  async function node(settings: object, dataDir: string, seed: boolean): Promise<Node> {
    const config = testConfig(dataDir, {
      ...settings,
      oauth: {
        googleClientId: auth.clientId,
        googleClientSecret: auth.clientSecret,
        googleAuthorizeUrl: `${auth.url}/authorize`,
        googleTokenUrl: `${auth.url}/token`,
        googleIssuer: auth.url,
        microsoftClientId: auth.clientId,
        microsoftClientSecret: auth.clientSecret,
        microsoftAuthorizeUrl: `${auth.url}/authorize`,
        microsoftTokenUrl: `${auth.url}/token`,
        microsoftIssuer: `${auth.url}/{tenantid}/v2.0`,
        allowedReturnUrls: `${RETURN}, https://other.example/`,
      },
    });
    const ctx = await createContext(config, { log: createLogger('silent') });
    if (seed) await seedTenants(ctx);
    const server = await startServer(ctx, { worker: false });
    return { ctx, base: `http://127.0.0.1:${server.http?.port}`, stop: () => server.stop() };
  }

  beforeAll(async () => {
    auth = await startAuthServer('jobs@acme.com');
    const dataDir = tempDir();
    const settings = backend === 'postgres' ? await postgresSettings() : {};
    first = await node(settings, dataDir, true);
    token = (await createApiToken(first.ctx, EVERY_TENANT, { tenant: 'acme', name: 'platform' })).token;
    globexToken = (await createApiToken(first.ctx, EVERY_TENANT, { tenant: 'globex', name: 'platform' })).token;
    const { setupToken } = await addConsoleUser(first.ctx, EVERY_TENANT, { tenant: 'acme', email: 'otto@acme.com', role: 'admin' });
    await completeSetup(first.ctx, setupToken, 'correct horse battery staple');
    if (backend === 'sqlite') {
      // One machine: the sign-ins started before a restart finish after it, from the same file. Tests start theirs on `first` before this.
      second = first;
    } else {
      second = await node(settings, tempDir(), false);
    }
  }, 60_000);

  afterAll(async () => {
    if (second !== first) await second?.stop();
    await first?.stop();
    await auth?.close();
  });

  /** On SQLite, the restart between starting and finishing: a new server on the same data dir. */
  async function restartIfOneMachine(): Promise<void> {
    if (backend !== 'sqlite') return;
    const dataDir = first.ctx.config.data.dir;
    await first.stop();
    first = await node({}, dataDir, false);
    second = first;
  }

  const api = (base: string, bearer: string, body: object): Promise<Response> =>
    fetch(`${base}/v1/accounts/oauth`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** The provider's consent (the stand-in answers at once): where it sends the browser back. */
  async function consent(authorizeUrl: string): Promise<URL> {
    const answer = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    return new URL(answer.headers.get('location') ?? '');
  }

  /** A platform's sign-in started on the first node; its callback reaches the second. Answers where the browser ends. */
  async function platformSignIn(body: object): Promise<URL> {
    const started = await api(first.base, token, { provider: 'google', returnUrl: `${RETURN}?step=3`, ...body });
    expect(started.status).toBe(201);
    const back = await consent(((await started.json()) as { authorizeUrl: string }).authorizeUrl);
    await restartIfOneMachine();
    expect(back.pathname).toBe('/console/accounts/oauth/callback');
    const callback = await fetch(`${second.base}${back.pathname}${back.search}`, { redirect: 'manual' });
    expect(callback.status).toBe(303);
    return new URL(callback.headers.get('location') ?? '');
  }

  it("the platform's sign-in: the browser goes back to returnUrl with the new account's id, from another node, once", async () => {
    const started = await api(first.base, token, { provider: 'google', returnUrl: `${RETURN}/acme?step=3`, name: 'google-jobs' });
    expect(started.status).toBe(201);
    const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };
    const back = await consent(authorizeUrl);
    await restartIfOneMachine();
    const callback = await fetch(`${second.base}${back.pathname}${back.search}`, { redirect: 'manual' });
    expect(callback.status).toBe(303);
    const ended = new URL(callback.headers.get('location') ?? '');
    expect(`${ended.origin}${ended.pathname}`).toBe(`${RETURN}/acme`);
    expect(ended.searchParams.get('step')).toBe('3');
    const id = Number(ended.searchParams.get('account'));
    expect(await second.ctx.accounts.get(id)).toMatchObject({ name: 'google-jobs', authMethod: 'oauth2', username: 'jobs@acme.com', status: 'pending' });
    expect(auth.refused).toEqual([]);
    // The same callback again (a reload, a replay) adds nothing: the state is spent.
    const again = await fetch(`${second.base}${back.pathname}${back.search}`, { redirect: 'manual' });
    expect(again.headers.get('location') ?? '').not.toContain('account=');
    expect((await second.ctx.accounts.list('acme')).filter((a) => a.username === 'jobs@acme.com')).toHaveLength(1);
  });

  it.each([
    ['an issuer that is not the provider', { iss: 'https://accounts.evil.example' }, 'wrong_issuer'],
    ['another application', { aud: 'someone-elses-client' }, 'wrong_audience'],
    ['an expired id token', { exp: Math.floor(Date.now() / 1000) - 3600 }, 'expired_id_token'],
    ['an address the provider has not verified', { email_verified: false }, 'unverified_email'],
    ['no email, only a sign-in name', { email: undefined, preferred_username: 'jobs@acme.com' }, 'no_email'],
  ])('refuses %s, adding nothing', async (_what, claims, code) => {
    Object.assign(auth.claims, claims);
    try {
      const before = (await second.ctx.accounts.list('acme')).length;
      const ended = await platformSignIn({ name: `refused-${code}` });
      expect(ended.searchParams.get('error')).toBe(code);
      expect(ended.searchParams.get('account')).toBeNull();
      expect((await second.ctx.accounts.list('acme')).length).toBe(before);
    } finally {
      for (const name of Object.keys(auth.claims)) delete auth.claims[name];
    }
  });

  it("Microsoft: the issuer of the token's own directory and a verified address; the sign-in name alone is never the mailbox", async () => {
    Object.assign(auth.claims, {
      tid: 'dir-1',
      iss: `${auth.url}/dir-1/v2.0`,
      email: undefined,
      email_verified: undefined,
      preferred_username: 'ceo@acme.com',
    });
    try {
      expect((await platformSignIn({ provider: 'microsoft', name: 'ms-no-email' })).searchParams.get('error')).toBe('no_email');
      Object.assign(auth.claims, { email: 'jobs@acme.com', xms_edov: true, iss: `${auth.url}/dir-2/v2.0` });
      expect((await platformSignIn({ provider: 'microsoft', name: 'ms-other-directory' })).searchParams.get('error')).toBe('wrong_issuer');
      Object.assign(auth.claims, { iss: `${auth.url}/dir-1/v2.0` });
      const ended = await platformSignIn({ provider: 'microsoft', name: 'ms-jobs' });
      expect(await second.ctx.accounts.get(Number(ended.searchParams.get('account')))).toMatchObject({ provider: 'office365', username: 'jobs@acme.com' });
    } finally {
      for (const name of Object.keys(auth.claims)) delete auth.claims[name];
    }
  });

  it('a customer who declines at the provider goes back with error=access_denied, and the sign-in is spent', async () => {
    const started = await api(first.base, token, { provider: 'google', returnUrl: RETURN });
    const state = new URL(((await started.json()) as { authorizeUrl: string }).authorizeUrl).searchParams.get('state') ?? '';
    const declined = await fetch(`${second.base}/console/accounts/oauth/callback?error=access_denied&state=${state}`, { redirect: 'manual' });
    expect(declined.status).toBe(303);
    const ended = new URL(declined.headers.get('location') ?? '');
    expect([`${ended.origin}${ended.pathname}`, ended.searchParams.get('error')]).toEqual([RETURN, 'access_denied']);
    const late = await fetch(`${second.base}/console/accounts/oauth/callback?code=x&state=${state}`, { redirect: 'manual' });
    expect(late.headers.get('location')).toBeNull();
  });

  it('refuses a return URL outside oauth.allowedReturnUrls, and a tenant out of reach', async () => {
    for (const returnUrl of [
      'https://platform.example/settings/emailer',
      'http://platform.example/settings/email',
      'https://platform.example.evil.example/settings/email',
      'https://platform.example/other',
      'https://user@platform.example/settings/email',
    ]) {
      const r = await api(first.base, token, { provider: 'google', returnUrl });
      expect(r.status, returnUrl).toBe(422);
      expect(((await r.json()) as { detail: string }).detail).toContain('oauth.allowedReturnUrls');
    }
    expect((await api(first.base, token, { provider: 'google', returnUrl: 'https://other.example/anything/here' })).status).toBe(201);
    expect((await api(first.base, globexToken, { provider: 'google', tenant: 'acme', returnUrl: RETURN })).status).toBe(404);
    const doc = (await (await fetch(`${first.base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: object };
    };
    expect(Object.keys(doc.paths['/v1/accounts/oauth'] ?? {})).toEqual(['post']);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['OAuthStartRequest', 'OAuthStarted']));
  });

  it("the console's sign-in finishes on another node, for the session that started it only", async () => {
    const session = (await signIn(first.ctx, 'otto@acme.com', 'correct horse battery staple'))?.sessionId ?? '';
    const cookie = `mailroom_session=${session}`;
    const form = await (await fetch(`${first.base}/console/accounts/sign-in/google`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
    const begun = await fetch(`${first.base}/console/accounts/sign-in/google`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, tenant: 'acme', name: 'console-google', host: '127.0.0.1', port: '2525', security: 'starttls' }).toString(),
    });
    expect(begun.status).toBe(303);
    const back = await consent(begun.headers.get('location') ?? '');
    await restartIfOneMachine();
    const callback = await fetch(`${second.base}${back.pathname}${back.search}`);
    expect(await callback.text()).toContain('/console/accounts/oauth/finish?');
    const finish = `${second.base}/console/accounts/oauth/finish?${new URLSearchParams({ code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') ?? '' }).toString()}`;
    // Another administrator's session cannot finish it, and does not spend it.
    const { setupToken } = await addConsoleUser(second.ctx, EVERY_TENANT, { tenant: 'acme', email: 'eve@acme.com', role: 'admin' });
    await completeSetup(second.ctx, setupToken, 'correct horse battery staple');
    const other = (await signIn(second.ctx, 'eve@acme.com', 'correct horse battery staple'))?.sessionId ?? '';
    const foreign = await fetch(finish, { redirect: 'manual', headers: { cookie: `mailroom_session=${other}` } });
    expect(foreign.status).toBe(400);
    expect(await foreign.text()).toContain('This sign-in is unknown');
    const done = await fetch(finish, { redirect: 'manual', headers: { cookie } });
    expect(done.status).toBe(303);
    const id = Number(/added=(\d+)/.exec(done.headers.get('location') ?? '')?.[1]);
    expect(await second.ctx.accounts.get(id)).toMatchObject({ name: 'console-google', host: '127.0.0.1', port: 2525, username: 'jobs@acme.com' });
    expect((await fetch(finish, { redirect: 'manual', headers: { cookie } })).status).toBe(400);
  });
});
