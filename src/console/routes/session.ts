// Signing in (rate-limited per client and per address), the one-time link that
// sets a password, signing out, and the guard every other page stands behind:
// a session cookie, and on every POST the session's CSRF token.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { DomainError } from '../../errors.ts';
import { clientAddress, clientKey, parseCidrs, RateLimiter } from '../../net/index.ts';
import { completeSetup, consoleAddress, SESSION_HOURS, sessionOf, setupUser, signIn, signOut } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { COOKIE, field, sameText, secure, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { loginPage, page, setupPage } from '../pages.ts';

/** Sign-in attempts a client address, or one email address, may make in a minute. */
const SIGN_INS_PER_MINUTE = 10;

export function sessionRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  app.get('/login', (c) => c.html(loginPage(null, '', c.req.query('set') === '1')));
  app.post('/login', login(ctx));
  app.get('/setup', showSetup(ctx));
  app.post('/setup', setPassword(ctx));
  app.use('*', requireSession(ctx));
  app.post('/logout', logout(ctx));
}

function login(ctx: Context) {
  const perClient = new RateLimiter<string>(SIGN_INS_PER_MINUTE, () => ctx.clock.now().getTime());
  const perAddress = new RateLimiter<string>(SIGN_INS_PER_MINUTE, () => ctx.clock.now().getTime());
  const proxies = parseCidrs(ctx.config.http.trustedProxies);
  const trusted = 'list' in proxies && proxies.count > 0 ? proxies.list : null;
  return async (c: ConsoleContext) => {
    const body = await c.req.parseBody();
    const email = field(body, 'email').trim();
    const client = clientAddress(getConnInfo(c).remote.address ?? 'unknown', c.req.header('x-forwarded-for'), trusted);
    // Keyed on the address as sign-in reads it, so another spelling of it (case, a trailing dot, full-width letters) shares the count.
    const account = consoleAddress(email);
    const wait = Math.max(perClient.take(clientKey(client)), account ? perAddress.take(account) : 0);
    if (wait > 0) {
      c.header('retry-after', String(wait));
      return c.html(loginPage(`Too many attempts: try again in ${wait} s.`, email), 429);
    }
    const result = await signIn(ctx, email, field(body, 'password'));
    if (!result) return c.html(loginPage('Wrong email or password.', email), 401);
    setCookie(c, COOKIE, result.sessionId, { path: '/console', httpOnly: true, sameSite: 'Strict', secure: secure(c), maxAge: SESSION_HOURS * 3600 });
    return c.redirect('/console/unassigned', 303);
  };
}

const showSetup = (ctx: Context) => async (c: ConsoleContext) => {
  const token = c.req.query('token') ?? '';
  try {
    return c.html(setupPage(await setupUser(ctx, token), token, null));
  } catch (err) {
    return c.html(page('Link not valid', `${(err as Error).message}`), 404);
  }
};

const setPassword = (ctx: Context) => async (c: ConsoleContext) => {
  const body = await c.req.parseBody();
  const token = field(body, 'token');
  try {
    await completeSetup(ctx, token, field(body, 'password'));
    return c.redirect('/console/login?set=1', 303);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (err.kind === 'not_found') return c.html(page('Link not valid', err.message), 404);
    return c.html(setupPage(await setupUser(ctx, token), token, err.message), 400);
  }
};

/** Everything after this needs a session; every POST after it needs the session's CSRF token. */
const requireSession = (ctx: Context) => async (c: ConsoleContext, next: () => Promise<void>) => {
  const sessionId = getCookie(c, COOKIE);
  const signedIn = sessionId ? await sessionOf(ctx, sessionId) : null;
  if (!sessionId || !signedIn) return c.redirect('/console/login', 303);
  if (c.req.method === 'POST') {
    const body = await c.req.parseBody();
    if (!sameText(field(body, 'csrf'), signedIn.csrf)) return c.text('forbidden: the form is stale or foreign; reload the page', 403);
  }
  c.set('signedIn', signedIn);
  c.set('sessionId', sessionId);
  await next();
};

const logout = (ctx: Context) => async (c: ConsoleContext) => {
  await signOut(ctx, c.get('sessionId'));
  deleteCookie(c, COOKIE, { path: '/console' });
  return c.redirect('/console/login', 303);
};
