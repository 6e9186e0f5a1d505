// The unassigned queue: the list with its filters and pages, one message (its
// HTML as a document of its own for the sandboxed frame, its attachments),
// assigning and dismissing one or several.
import type { Hono } from 'hono';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { DomainError } from '../../errors.ts';
import { addressToRemember, assignMessage, dismissMessage, messageWithin, tenantsWithin } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { field, PAGE, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { messagePage, page, queuePage } from '../pages.ts';

export function queueRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  app.get('/', (c) => c.redirect('/console/unassigned', 303));
  app.get('/unassigned', showQueue(ctx));
  app.post('/unassigned/bulk', actOnSeveral(ctx));
  app.get('/messages/:id', showMessage(ctx));
  app.get('/messages/:id/body', messageBody(ctx));
  app.get('/messages/:id/attachments/:sha256', attachment(ctx));
  app.post('/messages/:id/assign', assign(ctx));
  app.post('/messages/:id/dismiss', dismiss(ctx));
}

/** What the last change did, for the line above the queue. */
function noticeOf(c: ConsoleContext): string | null {
  const how = c.req.query('how') === 'dismissed' ? 'dismissed' : 'assigned';
  const bulk = c.req.query('bulk');
  const failed = c.req.query('failed');
  if (c.req.query('done')) return `Message ${c.req.query('done')} ${how}.`;
  return bulk !== undefined ? `${bulk} message(s) ${how}.${failed ? ` Not done: ${failed}` : ''}` : null;
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
  const slugs = visible.map((t) => t.slug);
  return c.html(queuePage(user, csrf, messages, filter, slugs, noticeOf(c), older, c.req.query('candidate') ?? null));
};

const showMessage = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const m = await messageWithin(ctx, reach, c.req.param('id') ?? '');
  const candidates = m.status === 'unassigned' ? await ctx.candidates.list(m.tenant, 500) : [];
  return c.html(messagePage(user, csrf, m, Boolean((await ctx.messages.parsed(m.id))?.html), candidates, addressToRemember(m)));
};

/** The sender's HTML as a document of its own, framed with sandbox="" under the mail policy (app.ts). */
const messageBody = (ctx: Context) => async (c: ConsoleContext) => {
  const m = await messageWithin(ctx, c.get('signedIn').reach, c.req.param('id') ?? '');
  return c.html((await ctx.messages.parsed(m.id))?.html ?? '');
};

/** An attachment, always as a download (never rendered in our origin), under the name the sender gave it. */
const attachment = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach } = c.get('signedIn');
  const m = await messageWithin(ctx, reach, c.req.param('id') ?? '');
  const sha256 = c.req.param('sha256') ?? '';
  const found = m.attachments.find((a) => a.sha256 === sha256);
  const where = found ? await ctx.attachments.locate(sha256) : null;
  if (!found || !where) return c.html(page('Not found', `message ${m.id} has no such attachment`, user), 404);
  const name = (found.filename ?? `${sha256.slice(0, 12)}.bin`).replace(/["\\\r\n]/g, '_');
  c.header('content-type', 'application/octet-stream');
  c.header('content-disposition', `attachment; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`);
  if ('bytes' in where) return c.body(new Uint8Array(where.bytes));
  return c.body(Readable.toWeb(createReadStream(where.file)) as ReadableStream);
};

const assign = (ctx: Context) => async (c: ConsoleContext) => {
  const body = await c.req.parseBody();
  const id = c.req.param('id') ?? '';
  const { candidate } = await assignMessage(ctx, c.get('signedIn').reach, id, {
    candidate: field(body, 'candidate').trim(),
    rememberAddress: field(body, 'remember') === '1',
  });
  const link = `${candidate.tenant}/${candidate.externalId}`;
  return c.redirect(`/console/unassigned?done=${encodeURIComponent(id)}&how=assigned&candidate=${encodeURIComponent(link)}`, 303);
};

const dismiss = (ctx: Context) => async (c: ConsoleContext) => {
  const body = await c.req.parseBody();
  const id = c.req.param('id') ?? '';
  await dismissMessage(ctx, c.get('signedIn').reach, id, field(body, 'note').trim() || null);
  return c.redirect(`/console/unassigned?done=${encodeURIComponent(id)}&how=dismissed`, 303);
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
