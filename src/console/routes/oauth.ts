// "Sign in with Google / Microsoft" on the accounts page. The browser leaves
// for the provider with a PKCE challenge and a state bound to this session; it
// comes back to the callback, which (the session cookie being SameSite=Strict,
// so not sent on a navigation from another site) steps once more within our own
// origin before the code is traded and the account added.
import type { Hono } from 'hono';
import { html } from 'hono/html';
import {
  abandonSignIn,
  beginAccountSignIn,
  completeAccountSignIn,
  signInApp,
  SignInError,
  signInRedirectUri,
  signInReturnUrl,
  tenantsWithin,
  type SignInProvider,
} from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { adminOnly, field, pagePolicy, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { signInFormPage } from '../pages-account-form.ts';
import { page } from '../pages.ts';

/** The platform's page with the outcome added to its query: `account` on success, `error` (and `error_description`) otherwise. */
function backToPlatform(returnUrl: string, outcome: Record<string, string>): string {
  const url = new URL(returnUrl);
  for (const [name, value] of Object.entries(outcome)) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * The callback: before the session guard, since the cookie does not come with
 * the provider's redirect. A platform's sign-in (POST /v1/accounts/oauth)
 * finishes here, its state being its capability, and the browser goes on to
 * the platform's page; the console's steps once more to /finish.
 */
export function oauthCallbackRoute(app: Hono<ConsoleEnv>, ctx: Context): void {
  app.get('/accounts/oauth/callback', async (c) => {
    const state = c.req.query('state') ?? '';
    const error = c.req.query('error');
    const returnUrl = state ? await signInReturnUrl(ctx, state) : null;
    if (returnUrl) {
      if (error) {
        await abandonSignIn(ctx, state);
        return c.redirect(backToPlatform(returnUrl, { error: 'access_denied', error_description: `the provider said: ${error}` }), 303);
      }
      try {
        const account = await completeAccountSignIn(ctx, state, c.req.query('code') ?? '', 'platform');
        return c.redirect(backToPlatform(returnUrl, { account: String(account.id) }), 303);
      } catch (err) {
        if (!(err instanceof SignInError)) throw err;
        return c.redirect(backToPlatform(returnUrl, { error: err.code, error_description: err.message }), 303);
      }
    }
    if (error) return c.html(page('Sign-in not completed', `The provider said: ${error} ${c.req.query('error_description') ?? ''}`), 400);
    const next = `/console/accounts/oauth/finish?${new URLSearchParams({ code: c.req.query('code') ?? '', state }).toString()}`;
    return c.html(page('Signing in', html`<p>Signing in… <a href="${next}">continue</a></p>`, null, '', 0, next));
  });
}

export function oauthRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  app.use('/accounts/sign-in/*', adminOnly);
  app.use('/accounts/oauth/finish', adminOnly);
  app.get('/accounts/sign-in/:provider', showSignInForm(ctx));
  app.post('/accounts/sign-in/:provider', begin(ctx));
  app.get('/accounts/oauth/finish', finish(ctx));
}

const providerOf = (c: ConsoleContext): SignInProvider | null => {
  const name = c.req.param('provider');
  return name === 'google' || name === 'microsoft' ? name : null;
};

const showSignInForm = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const provider = providerOf(c);
  const app = provider ? signInApp(ctx.config, provider) : null;
  if (!provider || !app) return c.html(page('Not configured', 'Sign-in with this provider is not set up (oauth settings).', user, csrf), 404);
  const tenants = (await tenantsWithin(ctx, reach)).map((t) => t.slug);
  // The form's answer redirects to the provider: a redirect after a form is held to form-action too.
  c.header('content-security-policy', pagePolicy([new URL(app.authorizeUrl).origin]));
  return c.html(signInFormPage(user, csrf, provider, tenants, signInRedirectUri(ctx.config, c.req.url)));
};

const begin = (ctx: Context) => async (c: ConsoleContext) => {
  const provider = providerOf(c);
  if (!provider) return c.notFound();
  const body = await c.req.parseBody();
  const port = field(body, 'port').trim();
  const { url } = await beginAccountSignIn(
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
    signInRedirectUri(ctx.config, c.req.url),
    { session: c.get('sessionId') },
  );
  return c.redirect(url, 303);
};

const finish = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  try {
    // Only the session that started it may finish it: a link from someone else's sign-in adds nothing.
    const account = await completeAccountSignIn(ctx, c.req.query('state') ?? '', c.req.query('code') ?? '', { session: c.get('sessionId') }, reach);
    return c.redirect(`/console/accounts?added=${account.id}`, 303);
  } catch (err) {
    if (!(err instanceof SignInError)) throw err;
    const title = err.code === 'unknown_sign_in' ? 'Sign-in not found' : 'Sign-in refused';
    return c.html(page(title, err.message, user, csrf), 400);
  }
};
