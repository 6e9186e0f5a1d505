// One waiting message: its page (marked read for whoever opens it), its HTML
// as a document of its own for the sandboxed frame, its attachments; filing it
// (a suggestion in one click, or whoever the typed name, address or id finds),
// dismissing it, undoing either; and the candidate search the field asks as
// one types.
import type { Hono } from 'hono';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { assignMessage, dismissMessage, messageWithin, nextWaiting, searchCandidates, undoFiling } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import type { Candidate } from '../../store/index.ts';
import { noticeFor, suggestionsFor } from '../filing.ts';
import { field, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { page } from '../layout.ts';
import { messagePage, type Choices } from '../pages-queue.ts';

export function messageRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  app.get('/candidates/search', searchRoute(ctx));
  app.get('/messages/:id', showMessage(ctx));
  app.get('/messages/:id/body', messageBody(ctx));
  app.get('/messages/:id/attachments/:sha256', attachment(ctx));
  app.post('/messages/:id/assign', assign(ctx));
  app.post('/messages/:id/dismiss', dismiss(ctx));
  app.post('/messages/:id/undo', undo(ctx));
}

async function render(ctx: Context, c: ConsoleContext, id: string, choices: Choices | null): Promise<Response> {
  const { user, reach, csrf } = c.get('signedIn');
  const m = await messageWithin(ctx, reach, id);
  const now = ctx.clock.now();
  // Read once: later visits only look (a write per page view would cost a commit each).
  if (!(await ctx.consoleUsers.readAmong(user.id, [m.id])).has(m.id)) await ctx.consoleUsers.markRead(user.id, m.id, now.toISOString());
  const parsed = await ctx.messages.parsed(m.id);
  const view = {
    hasHtml: Boolean(parsed?.html),
    suggestions: await suggestionsFor(ctx, m, parsed?.from?.name ?? null),
    notice: await noticeFor(ctx, reach, c.req.query('filed'), c.req.query('undone')),
    choices,
    next: m.status === 'unassigned' ? await nextWaiting(ctx, reach, m.id) : null,
    now,
  };
  return c.html(messagePage(user, csrf, m, view), choices ? 422 : 200);
}

const showMessage = (ctx: Context) => (c: ConsoleContext) => render(ctx, c, c.req.param('id') ?? '', null);

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

/** Where to go after filing or dismissing: back to the queue, or on to the next waiting message. */
async function onwards(ctx: Context, c: ConsoleContext, id: string, back: string): Promise<Response> {
  const next = back === 'queue' ? null : await nextWaiting(ctx, c.get('signedIn').reach, id);
  return c.redirect(next ? `/console/messages/${next}?filed=${encodeURIComponent(id)}` : `/console/unassigned?filed=${encodeURIComponent(id)}`, 303);
}

/** The one candidate an entry names: its external id, or a name or address that only one candidate has. */
function named(typed: string, found: Candidate[]): Candidate | null {
  const wanted = typed.toLowerCase();
  const exact = found.filter((c) => c.externalId === typed || c.name.toLowerCase() === wanted || c.emails.includes(wanted));
  return exact.length === 1 ? (exact[0] as Candidate) : null;
}

const assign = (ctx: Context) => async (c: ConsoleContext) => {
  const body = await c.req.parseBody();
  const id = c.req.param('id') ?? '';
  const { reach } = c.get('signedIn');
  const typed = field(body, 'candidate').trim();
  const remember = field(body, 'remember') === '1';
  const m = await messageWithin(ctx, reach, id);
  let externalId = typed;
  if (m.status === 'unassigned' && !(typed && (await ctx.candidates.get(m.tenant, typed)))) {
    // Not an external id: whoever the words find; one exact hit files, anything else asks which (everything typed kept).
    const found = typed ? await searchCandidates(ctx, reach, m.tenant, typed, 10) : [];
    const one = named(typed, found);
    if (!one) return render(ctx, c, id, { typed, remember, found });
    externalId = one.externalId;
  }
  await assignMessage(ctx, reach, id, { candidate: externalId, rememberAddress: remember });
  return onwards(ctx, c, id, field(body, 'back'));
};

const dismiss = (ctx: Context) => async (c: ConsoleContext) => {
  const body = await c.req.parseBody();
  const id = c.req.param('id') ?? '';
  await dismissMessage(ctx, c.get('signedIn').reach, id, field(body, 'note').trim() || null);
  return onwards(ctx, c, id, field(body, 'back'));
};

const undo = (ctx: Context) => async (c: ConsoleContext) => {
  const id = c.req.param('id') ?? '';
  const restored = await undoFiling(ctx, c.get('signedIn').reach, id);
  return c.redirect(`/console/messages/${restored.id}?undone=${restored.id}`, 303);
};

/** Candidates of a tenant within reach by name, address or external id, as JSON for the field's list. */
const searchRoute = (ctx: Context) => async (c: ConsoleContext) => {
  const found = await searchCandidates(ctx, c.get('signedIn').reach, c.req.query('tenant') ?? '', c.req.query('q') ?? '', 10);
  return c.json(found.map((x) => ({ externalId: x.externalId, name: x.name, emails: x.emails })));
};
