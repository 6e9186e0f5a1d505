// The console's routes under /console: sign-in (rate-limited per client and
// per address), the one-time password link, the unassigned queue with its
// filters, a message with its HTML in a sandboxed frame (no script, no remote
// content: a tracking pixel never fires), assign and dismiss. Every change is
// a POST carrying the session's CSRF token from a page of the same origin.
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context as HonoContext } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors.ts';
import { clientKey, RateLimiter } from '../net/index.ts';
import {
  assignMessage,
  completeSetup,
  listAccounts,
  checkTenantSetup,
  makeDefaultAccount,
  sendAccountTestEmail,
  tenantWithin,
  testAccount,
  dismissMessage,
  messageWithin,
  SESSION_HOURS,
  sessionOf,
  setupUser,
  signIn,
  signOut,
  type SignedIn,
} from '../operations/index.ts';
import type { Context } from '../runtime/context.ts';
import { accountsPage, checklistPage, conversationPage, loginPage, messagePage, page, queuePage, setupPage, type Finding, type ThreadItem } from './pages.ts';

type Env = { Variables: { signedIn: SignedIn; sessionId: string } };

const COOKIE = 'mailroom_session';
/** What a console page may load: itself, nothing else; no one may frame it. */
const PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** A sender's HTML: styles and inline images only, in a sandbox without scripts. */
const MAIL_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox";
/** Sign-in attempts a client address, or one email address, may make in a minute. */
const SIGN_INS_PER_MINUTE = 10;
/** Messages on a page of the queue. */
const PAGE = 50;

const sameText = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
/** Behind a TLS proxy (X-Forwarded-Proto) or on https: the cookie is Secure. */
const secure = (c: HonoContext): boolean => new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

/** Pages for administrators and operators: a recruiter is told so. */
async function adminOnly(c: HonoContext<Env>, next: () => Promise<void>): Promise<Response | void> {
  const { user } = c.get('signedIn');
  if (user.role === 'recruiter') return c.html(page('Not allowed', 'This page is for administrators.', user), 403);
  await next();
}

/** A change may come only from our own pages: a foreign Origin is refused before anything is read. */
function foreignOrigin(c: HonoContext): boolean {
  const origin = c.req.header('origin');
  return origin !== undefined && origin !== 'null' && origin !== new URL(c.req.url).origin;
}

/** The console as an app of its own, mounted at /console by the HTTP server. */
export function consoleRoutes(ctx: Context): Hono<Env> {
  const app = new Hono<Env>();
  const perClient = new RateLimiter<string>(SIGN_INS_PER_MINUTE, () => ctx.clock.now().getTime());
  const perAddress = new RateLimiter<string>(SIGN_INS_PER_MINUTE, () => ctx.clock.now().getTime());
  /** The last set-up check of each tenant (it takes seconds, the forwarding test minutes): shown until the next one. */
  const checks = new Map<string, { running: boolean; sendTests: boolean; progress: string; findings: Finding[] | null }>();
  /** Test emails on their way, by account: shown on the accounts page until the next test. */
  const testEmails = new Map<number, { waiting: boolean; ok: boolean; text: string }>();

  app.use('*', async (c, next) => {
    if (c.req.method === 'POST' && foreignOrigin(c)) return c.text('forbidden: a change must come from the console itself', 403);
    await next();
    c.header('content-security-policy', c.req.path.endsWith('/body') ? MAIL_POLICY : PAGE_POLICY);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'no-store');
  });

  app.get('/login', (c) => c.html(loginPage(null)));
  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const email = field(body, 'email').trim().toLowerCase();
    const address = getConnInfo(c).remote.address ?? 'unknown';
    const wait = Math.max(perClient.take(clientKey(address)), perAddress.take(email));
    if (wait > 0) {
      c.header('retry-after', String(wait));
      return c.html(loginPage(`Too many attempts: try again in ${wait} s.`, email), 429);
    }
    const result = await signIn(ctx, email, field(body, 'password'));
    if (!result) return c.html(loginPage('Wrong email or password.', email), 401);
    setCookie(c, COOKIE, result.sessionId, { path: '/console', httpOnly: true, sameSite: 'Strict', secure: secure(c), maxAge: SESSION_HOURS * 3600 });
    return c.redirect('/console/unassigned', 303);
  });

  app.get('/setup', async (c) => {
    const token = c.req.query('token') ?? '';
    try {
      return c.html(setupPage(await setupUser(ctx, token), token, null));
    } catch (err) {
      return c.html(page('Link not valid', `${(err as Error).message}`), 404);
    }
  });
  app.post('/setup', async (c) => {
    const body = await c.req.parseBody();
    const token = field(body, 'token');
    try {
      await completeSetup(ctx, token, field(body, 'password'));
      return c.redirect('/console/login', 303);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      if (err.kind === 'not_found') return c.html(page('Link not valid', err.message), 404);
      return c.html(setupPage(await setupUser(ctx, token), token, err.message), 400);
    }
  });

  // Everything below needs a session; every POST below needs its CSRF token.
  app.use('*', async (c, next) => {
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
  });

  app.post('/logout', async (c) => {
    await signOut(ctx, c.get('sessionId'));
    deleteCookie(c, COOKIE, { path: '/console' });
    return c.redirect('/console/login', 303);
  });

  app.get('/', (c) => c.redirect('/console/unassigned', 303));

  app.get('/unassigned', async (c) => {
    const { user, reach, csrf } = c.get('signedIn');
    const filter = { reason: c.req.query('reason') ?? '', tenant: c.req.query('tenant') ?? '', q: (c.req.query('q') ?? '').trim() };
    const visible = (await ctx.tenants.list()).filter((t) => reach.tenantIds === 'all' || reach.tenantIds.includes(t.id));
    const chosen = visible.find((t) => t.slug === filter.tenant);
    const before = c.req.query('before');
    const found = await ctx.messages.list({
      status: 'unassigned',
      limit: PAGE + 1,
      ...(filter.reason ? { reason: filter.reason } : {}),
      ...(before ? { before } : {}),
      ...(filter.q ? { search: filter.q } : {}),
      tenantIds: chosen ? [chosen.id] : visible.map((t) => t.id),
    });
    const messages = found.slice(0, PAGE);
    const older = found.length > PAGE ? (messages[messages.length - 1]?.id ?? null) : null;
    const how = c.req.query('how') === 'dismissed' ? 'dismissed' : 'assigned';
    const bulk = c.req.query('bulk');
    const failed = c.req.query('failed');
    const notice = c.req.query('done')
      ? `Message ${c.req.query('done')} ${how}.`
      : bulk !== undefined
        ? `${bulk} message(s) ${how}.${failed ? ` Not done: ${failed}` : ''}`
        : null;
    return c.html(
      queuePage(
        user,
        csrf,
        messages,
        filter,
        visible.map((t) => t.slug),
        notice,
        older,
        c.req.query('candidate') ?? null,
      ),
    );
  });

  app.get('/messages/:id', async (c) => {
    const { user, reach, csrf } = c.get('signedIn');
    const m = await messageWithin(ctx, reach, c.req.param('id'));
    const candidates = m.status === 'unassigned' ? await ctx.candidates.list(m.tenant, 500) : [];
    return c.html(messagePage(user, csrf, m, Boolean((await ctx.messages.parsed(m.id))?.html), candidates));
  });

  // The sender's HTML as a document of its own, framed with sandbox="" and MAIL_POLICY.
  app.get('/messages/:id/body', async (c) => {
    const m = await messageWithin(ctx, c.get('signedIn').reach, c.req.param('id'));
    return c.html((await ctx.messages.parsed(m.id))?.html ?? '');
  });

  app.post('/messages/:id/assign', async (c) => {
    const body = await c.req.parseBody();
    const id = c.req.param('id');
    const { candidate } = await assignMessage(ctx, c.get('signedIn').reach, id, {
      candidate: field(body, 'candidate').trim(),
      rememberAddress: field(body, 'remember') === '1',
    });
    const link = `${candidate.tenant}/${candidate.externalId}`;
    return c.redirect(`/console/unassigned?done=${encodeURIComponent(id)}&how=assigned&candidate=${encodeURIComponent(link)}`, 303);
  });

  // Several at once: each through the same operation, so one that moved meanwhile is reported, not the batch refused.
  app.post('/unassigned/bulk', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const raw = body['ids'];
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string').slice(0, PAGE);
    const action = field(body, 'action');
    const reach = c.get('signedIn').reach;
    let done = 0;
    const failed: string[] = [];
    for (const id of ids) {
      try {
        if (action === 'assign') await assignMessage(ctx, reach, id, { candidate: field(body, 'candidate').trim() });
        else await dismissMessage(ctx, reach, id, field(body, 'note').trim() || null);
        done++;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        failed.push(`${id}: ${err.message}`);
      }
    }
    const how = action === 'assign' ? 'assigned' : 'dismissed';
    return c.redirect(`/console/unassigned?bulk=${done}&how=${how}${failed.length ? `&failed=${encodeURIComponent(failed.join('; '))}` : ''}`, 303);
  });

  app.post('/messages/:id/dismiss', async (c) => {
    const body = await c.req.parseBody();
    const id = c.req.param('id');
    await dismissMessage(ctx, c.get('signedIn').reach, id, field(body, 'note').trim() || null);
    return c.redirect(`/console/unassigned?done=${encodeURIComponent(id)}&how=dismissed`, 303);
  });

  // A candidate's messages in and out, by conversation, bounces and auto-replies marked.
  app.get('/candidates/:tenant/:externalId', async (c) => {
    const { user, reach, csrf } = c.get('signedIn');
    const tenant = await tenantWithin(ctx, reach, c.req.param('tenant'));
    const candidate = await ctx.candidates.get(tenant.slug, c.req.param('externalId'));
    if (!candidate) return c.html(page('Not found', `no candidate ${c.req.param('externalId')} in ${tenant.slug}`, user, csrf), 404);
    const inbound: ThreadItem[] = (await ctx.messages.list({ candidateId: candidate.id, limit: 200 })).map((m) => ({
      at: m.receivedAt,
      direction: 'in',
      conversationId: m.conversationId,
      subject: m.subject ?? '(no subject)',
      text: m.classification?.replyText ?? '',
      mark: m.classification?.kind === 'bounce' ? 'bounce' : m.classification?.kind === 'auto_reply' ? 'auto-reply' : null,
      href: `/console/messages/${m.id}`,
    }));
    const outbound: ThreadItem[] = (await ctx.outbound.list({ candidateId: candidate.id, limit: 200 })).map((o) => ({
      at: o.sentAt ?? o.createdAt,
      direction: 'out',
      conversationId: o.conversationId || null,
      subject: o.subject,
      text: o.text ?? '',
      mark: o.bounced ? `bounced (${o.bounced.hard ? 'hard' : 'soft'})` : o.status === 'sent' ? null : o.status,
      href: null,
    }));
    const items = [...inbound, ...outbound].sort((a, b) => a.at.localeCompare(b.at));
    const subjects = new Map<number, string>();
    for (const id of new Set(items.map((i) => i.conversationId))) {
      const conversation = id === null ? null : await ctx.conversations.get(id);
      if (conversation) subjects.set(conversation.id, conversation.subject || '(no subject)');
    }
    return c.html(conversationPage(user, csrf, candidate, items, subjects));
  });

  // Accounts: for administrators and operators.
  app.use('/accounts', adminOnly);
  app.use('/accounts/*', adminOnly);
  app.get('/accounts', async (c) => {
    const { user, reach, csrf } = c.get('signedIn');
    const accounts = await listAccounts(ctx, reach);
    const shown = accounts.flatMap((a) => {
      const test = testEmails.get(a.id);
      return test ? [{ id: a.id, ...test }] : [];
    });
    return c.html(accountsPage(user, csrf, accounts, null, shown));
  });
  app.post('/accounts/:id/test', async (c) => {
    const { user, reach, csrf } = c.get('signedIn');
    const id = Number(c.req.param('id'));
    const { result } = await testAccount(ctx, reach, id);
    const text = result.ok ? 'Status: OK' : `failed at ${result.stage}: ${result.error ?? ''}. What to do: ${result.advice ?? ''}`;
    return c.html(accountsPage(user, csrf, await listAccounts(ctx, reach), { id, text, ok: result.ok }, []));
  });
  // The test email's round trip takes seconds: it runs on, and the page looks again every two seconds until it is back.
  app.post('/accounts/:id/test-email', async (c) => {
    const id = Number(c.req.param('id'));
    const reach = c.get('signedIn').reach;
    if (testEmails.get(id)?.waiting !== true) {
      testEmails.set(id, { waiting: true, ok: false, text: 'test email sent; waiting for it to come back through our MX' });
      void sendAccountTestEmail(ctx, reach, id, { timeoutMs: ctx.config.checks.forwardingTimeoutMs })
        .then(({ result }) =>
          testEmails.set(id, {
            waiting: false,
            ok: result.ok,
            text: result.ok
              ? `the test email came back in ${result.roundTripMs} ms: Active`
              : `${result.error ?? 'failed'}. What to do: ${result.advice ?? ''}`,
          }),
        )
        .catch((err: Error) => testEmails.set(id, { waiting: false, ok: false, text: err.message }));
    }
    return c.redirect('/console/accounts', 303);
  });
  // The set-up checklist of the user's own tenant: `tenants check` as a list, run in the background.
  app.use('/checklist', async (c, next) => {
    const { user } = c.get('signedIn');
    if (user.role === 'recruiter' || user.tenant === null) return c.html(page('Not allowed', "The checklist is for a tenant's administrators.", user), 403);
    await next();
  });
  app.get('/checklist', (c) => {
    const { user, csrf } = c.get('signedIn');
    const state = checks.get(user.tenant as string);
    return c.html(checklistPage(user, csrf, user.tenant as string, state?.findings ?? null, state?.running ? state : null));
  });
  app.post('/checklist', async (c) => {
    const { user, reach } = c.get('signedIn');
    const tenant = user.tenant as string;
    const sendTests = field(await c.req.parseBody(), 'sendTests') === '1';
    if (checks.get(tenant)?.running !== true) {
      const state = { running: true, sendTests, progress: 'starting', findings: null as Finding[] | null };
      checks.set(tenant, state);
      void checkTenantSetup(ctx, reach, tenant, { sendTests, inboxes: [], progress: (line) => (state.progress = line) })
        .then(({ report }) => (state.findings = report.checks))
        .catch((err: Error) => (state.findings = [{ status: 'fail', subject: tenant, check: 'the check itself', found: err.message, advice: 'see the log' }]))
        .finally(() => (state.running = false));
    }
    return c.redirect('/console/checklist', 303);
  });

  app.post('/accounts/:id/default', async (c) => {
    await makeDefaultAccount(ctx, c.get('signedIn').reach, Number(c.req.param('id')));
    return c.redirect('/console/accounts', 303);
  });

  app.onError((err, c) => {
    if (err instanceof DomainError) return c.html(page('Not possible', err.message), err.kind === 'not_found' ? 404 : 400);
    ctx.log.error({ err, path: c.req.path }, 'console request failed');
    return c.html(page('Error', 'Something failed on the server; the log has the details.'), 500);
  });
  return app;
}
