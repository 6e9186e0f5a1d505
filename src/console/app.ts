// The console as an app of its own, mounted at /console by the HTTP server:
// security headers on every answer, then each group of pages (routes/), the
// session guard standing between the sign-in pages and everything else.
import { Hono, type Context as HonoContext } from 'hono';
import { DomainError } from '../errors.ts';
import type { Context } from '../context.ts';
import { pagePolicy, type ConsoleContext, type ConsoleEnv } from './helpers.ts';
import { waitingCount, type SignedIn } from '../operations/index.ts';
import { html } from 'hono/html';
import { scriptRoute } from './script.ts';
import { page } from './pages.ts';
import { accountRemoveRoutes } from './routes/account-remove.ts';
import { accountRoutes } from './routes/accounts.ts';
import { candidateRoutes } from './routes/candidates.ts';
import { checklistRoutes } from './routes/checklist.ts';
import { oauthCallbackRoute, oauthRoutes } from './routes/oauth.ts';
import { messageRoutes } from './routes/message.ts';
import { outgoingRoutes } from './routes/outgoing.ts';
import { queueRoutes } from './routes/queue.ts';
import { sessionRoutes } from './routes/session.ts';

/** A sender's HTML: styles and inline images only, in a sandbox without scripts. */
const MAIL_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox";

/** A change may come only from our own pages: a foreign Origin is refused before anything is read. */
function foreignOrigin(c: HonoContext): boolean {
  const origin = c.req.header('origin');
  return origin !== undefined && origin !== 'null' && origin !== new URL(c.req.url).origin;
}

/** The navigation shows how many messages wait: counted once per page (an index lookup), not for a frame, a download or the search. */
const countWaiting = (ctx: Context) => async (c: ConsoleContext, next: () => Promise<void>) => {
  const signedIn = c.get('signedIn');
  const page = c.req.method === 'GET' ? !/\/(body|search)$|\/attachments\//.test(c.req.path) : c.req.path.endsWith('/assign'); // an assign may answer with its choices
  if (signedIn && page) c.set('signedIn', { ...signedIn, user: Object.assign({}, signedIn.user, { waiting: await waitingCount(ctx, signedIn.reach) }) });
  await next();
};

export function consoleRoutes(ctx: Context): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.use('*', async (c, next) => {
    if (c.req.method === 'POST' && foreignOrigin(c)) return c.text('forbidden: a change must come from the console itself', 403);
    await next();
    // A page that posts elsewhere (sign-in with a provider) set its own policy.
    if (!c.res.headers.has('content-security-policy')) c.header('content-security-policy', c.req.path.endsWith('/body') ? MAIL_POLICY : pagePolicy());
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'no-store');
  });
  scriptRoute(app); // the sign-in page uses it too
  oauthCallbackRoute(app, ctx); // the provider's redirect comes without the session cookie
  sessionRoutes(app, ctx); // sign-in pages, then the session guard
  app.use('*', countWaiting(ctx));
  queueRoutes(app, ctx);
  messageRoutes(app, ctx);
  candidateRoutes(app, ctx);
  accountRoutes(app, ctx);
  accountRemoveRoutes(app, ctx);
  oauthRoutes(app, ctx);
  checklistRoutes(app, ctx);
  outgoingRoutes(app, ctx);
  app.onError((err, c) => {
    if (err instanceof DomainError) {
      // Said within the console (its navigation, a way back), not as a bare page.
      const signedIn = c.get('signedIn') as SignedIn | undefined;
      const body = html`<h1>Not possible</h1>
        <p class="error" role="alert">${err.message}</p>
        <p><a href="/console/unassigned">← Back to the queue</a></p>`;
      return c.html(page('Not possible', body, signedIn?.user ?? null, signedIn?.csrf ?? ''), err.kind === 'not_found' ? 404 : 400);
    }
    ctx.log.error({ err, path: c.req.path }, 'console request failed');
    return c.html(page('Error', 'Something failed on the server; the log has the details.'), 500);
  });
  return app;
}
