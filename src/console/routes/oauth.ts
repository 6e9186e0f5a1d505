// "Sign in with Google / Microsoft" on the accounts page. The browser leaves
// for the provider with a PKCE challenge and a state bound to this session; it
// comes back to the callback, which (the session cookie being SameSite=Strict,
// so not sent on a navigation from another site) steps once more within our own
// origin before the code is traded and the account added.
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { beginAccountSignIn, completeAccountSignIn, signInApp, tenantsWithin, type PendingSignIn, type SignInProvider } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { adminOnly, field, pagePolicy, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { signInFormPage } from '../pages-account-form.ts';
import { page } from '../pages.ts';

const CALLBACK = '/console/accounts/oauth/callback';
/** Sign-ins waiting for the provider's answer, by state; dropped when used or past their ten minutes. */
type Pending = Map<string, PendingSignIn & { sessionId: string }>;

/** The callback: before the session guard, since the cookie does not come with the provider's redirect. */
export function oauthCallbackRoute(app: Hono<ConsoleEnv>): void {
  app.get('/accounts/oauth/callback', (c) => {
    const error = c.req.query('error');
    if (error) return c.html(page('Sign-in not completed', `The provider said: ${error} ${c.req.query('error_description') ?? ''}`), 400);
    const next = `/console/accounts/oauth/finish?${new URLSearchParams({ code: c.req.query('code') ?? '', state: c.req.query('state') ?? '' }).toString()}`;
    return c.html(page('Signing in', html`<p>Signing in… <a href="${next}">continue</a></p>`, null, '', 0, next));
  });
}

export function oauthRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  const pending: Pending = new Map();
  app.use('/accounts/sign-in/*', adminOnly);
  app.use('/accounts/oauth/finish', adminOnly);
  app.get('/accounts/sign-in/:provider', showSignInForm(ctx));
  app.post('/accounts/sign-in/:provider', begin(ctx, pending));
  app.get('/accounts/oauth/finish', finish(ctx, pending));
}

const providerOf = (c: ConsoleContext): SignInProvider | null => {
  const name = c.req.param('provider');
  return name === 'google' || name === 'microsoft' ? name : null;
};

/** Where the provider sends the browser back: http.publicUrl behind a proxy, else this request's own origin. */
const redirectUriOf = (ctx: Context, c: ConsoleContext): string => `${ctx.config.http.publicUrl.replace(/\/$/, '') || new URL(c.req.url).origin}${CALLBACK}`;

const showSignInForm = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const provider = providerOf(c);
  const app = provider ? signInApp(ctx.config, provider) : null;
  if (!provider || !app) return c.html(page('Not configured', 'Sign-in with this provider is not set up (oauth settings).', user, csrf), 404);
  const tenants = (await tenantsWithin(ctx, reach)).map((t) => t.slug);
  // The form's answer redirects to the provider: a redirect after a form is held to form-action too.
  c.header('content-security-policy', pagePolicy([new URL(app.authorizeUrl).origin]));
  return c.html(signInFormPage(user, csrf, provider, tenants, redirectUriOf(ctx, c)));
};

const begin = (ctx: Context, pending: Pending) => async (c: ConsoleContext) => {
  const provider = providerOf(c);
  if (!provider) return c.notFound();
  const body = await c.req.parseBody();
  const port = field(body, 'port').trim();
  const { url, pending: waiting } = await beginAccountSignIn(
    ctx,
    c.get('signedIn').reach,
    {
      provider,
      tenant: field(body, 'tenant'),
      name: field(body, 'name').trim(),
      isDefault: field(body, 'isDefault') === '1',
      host: field(body, 'host').trim() || undefined,
      port: port ? Number(port) : undefined,
      security: field(body, 'security') || undefined,
    },
    redirectUriOf(ctx, c),
  );
  const now = ctx.clock.now().getTime();
  for (const [state, p] of pending) if (p.expiresAt < now) pending.delete(state);
  pending.set(waiting.state, { ...waiting, sessionId: c.get('sessionId') });
  return c.redirect(url, 303);
};

const finish = (ctx: Context, pending: Pending) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const waiting = pending.get(c.req.query('state') ?? '');
  // Only the session that started it may finish it: a link from someone else's sign-in adds nothing.
  if (!waiting || waiting.sessionId !== c.get('sessionId'))
    return c.html(page('Sign-in not found', 'This sign-in is unknown, was used already, or was started elsewhere: start it again.', user, csrf), 400);
  pending.delete(waiting.state);
  const account = await completeAccountSignIn(ctx, reach, waiting, c.req.query('code') ?? '');
  return c.redirect(`/console/accounts?added=${account.id}`, 303);
};
