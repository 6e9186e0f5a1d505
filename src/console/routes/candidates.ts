// A candidate's messages in and out as one thread per conversation, bounces
// and auto-replies marked, attachments under each message, and the account
// that sent each message out.
import type { Hono } from 'hono';
import { tenantWithin, type Reach } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import type { Candidate, OutboundMessage, StoredMessage } from '../../store/index.ts';
import { accountNames, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { conversationPage, page, type ThreadItem } from '../pages.ts';

/** Messages of each direction shown at most. */
const THREAD_LIMIT = 200;

export function candidateRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  app.get('/candidates/:tenant/:externalId', showConversation(ctx));
}

const inboundItem = (m: StoredMessage): ThreadItem => ({
  at: m.receivedAt,
  direction: 'in',
  conversationId: m.conversationId,
  subject: m.subject ?? '(no subject)',
  text: m.classification?.replyText ?? '',
  mark: m.classification?.kind === 'bounce' ? 'bounce' : m.classification?.kind === 'auto_reply' ? 'auto-reply' : null,
  href: `/console/messages/${m.id}`,
  message: m,
  account: null,
});

const outboundItem = (o: OutboundMessage, accounts: Map<number, string>): ThreadItem => ({
  at: o.sentAt ?? o.createdAt,
  direction: 'out',
  conversationId: o.conversationId || null,
  subject: o.subject,
  text: o.text ?? '',
  mark: o.bounced ? `bounced (${o.bounced.hard ? 'hard' : 'soft'})` : o.status === 'sent' ? null : o.status,
  href: null,
  message: null,
  account: o.accountId === null ? null : (accounts.get(o.accountId) ?? `account ${o.accountId}`),
});

async function threadOf(ctx: Context, reach: Reach, candidate: Candidate): Promise<{ items: ThreadItem[]; subjects: Map<number, string> }> {
  const accounts = await accountNames(ctx, reach);
  const inbound = (await ctx.messages.list({ candidateId: candidate.id, limit: THREAD_LIMIT })).map(inboundItem);
  const outbound = (await ctx.outbound.list({ candidateId: candidate.id, limit: THREAD_LIMIT })).map((o) => outboundItem(o, accounts));
  const items = [...inbound, ...outbound].sort((a, b) => a.at.localeCompare(b.at));
  const subjects = new Map<number, string>();
  for (const id of new Set(items.map((i) => i.conversationId))) {
    const conversation = id === null ? null : await ctx.conversations.get(id);
    if (conversation) subjects.set(conversation.id, conversation.subject || '(no subject)');
  }
  return { items, subjects };
}

const showConversation = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const tenant = await tenantWithin(ctx, reach, c.req.param('tenant') ?? '');
  const externalId = c.req.param('externalId') ?? '';
  const candidate = await ctx.candidates.get(tenant.slug, externalId);
  if (!candidate) return c.html(page('Not found', `no candidate ${externalId} in ${tenant.slug}`, user, csrf), 404);
  const { items, subjects } = await threadOf(ctx, reach, candidate);
  return c.html(conversationPage(user, csrf, candidate, items, subjects, ctx.clock.now()));
};
