// The unassigned queue: the list with its filters and pages (a line of what
// they wrote, unread in bold, a button per suggestion), and acting on several
// at once. One message and filing it: message.ts.
import type { Hono } from 'hono';
import { DomainError } from '../../errors.ts';
import { assignMessage, dismissMessage, tenantsWithin } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { noticeFor, suggestionsFor } from '../filing.ts';
import { field, PAGE, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { queuePage, type Notice } from '../pages-queue.ts';

export function queueRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  app.get('/', (c) => c.redirect('/console/unassigned', 303));
  app.get('/unassigned', showQueue(ctx));
  app.post('/unassigned/bulk', actOnSeveral(ctx));
}

/** What a change of several did, for the line above the queue. */
function bulkNotice(c: ConsoleContext): Notice | null {
  const bulk = c.req.query('bulk');
  if (bulk === undefined) return null;
  const how = c.req.query('how') === 'dismissed' ? 'dismissed' : 'assigned';
  const failed = c.req.query('failed');
  return { text: `${bulk} message(s) ${how}.${failed ? ` Not done: ${failed}` : ''}`, undoId: null, conversation: null };
}

const showQueue = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const filter = { reason: c.req.query('reason') ?? '', tenant: c.req.query('tenant') ?? '', q: (c.req.query('q') ?? '').trim() };
  const visible = await tenantsWithin(ctx, reach);
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
  const read = await ctx.consoleUsers.readAmong(
    user.id,
    messages.map((m) => m.id),
  );
  const rows = await Promise.all(messages.map(async (m) => ({ message: m, suggestions: await suggestionsFor(ctx, m), unread: !read.has(m.id) })));
  const notice = bulkNotice(c) ?? (await noticeFor(ctx, reach, c.req.query('filed'), c.req.query('undone')));
  const slugs = visible.map((t) => t.slug);
  return c.html(queuePage(user, csrf, rows, filter, slugs, notice, older, ctx.clock.now()));
};

/** Several at once: each through the same operation, so one that moved meanwhile is reported, not the batch refused. */
const actOnSeveral = (ctx: Context) => async (c: ConsoleContext) => {
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
};
