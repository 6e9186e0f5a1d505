// Threads: a conversation's messages in and out, oldest first, and a
// candidate's conversations; read within the caller's reach like everything
// else (another tenant's conversation is "not found").
import { NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { Candidate, Conversation, OutboundMessage, StoredMessage, Tenant } from '../store/index.ts';
import { reaches, tenantWithin, type Reach } from './reach.ts';

/** One message of a thread: received or sent. */
export type ThreadEntry = { direction: 'in'; message: StoredMessage } | { direction: 'out'; outbound: OutboundMessage };

/** A place in a thread: a message's time (received, or created for one we sent) and id. */
export interface ThreadPlace {
  at: string;
  id: string;
}

export async function conversationWithin(ctx: Context, reach: Reach, id: number): Promise<Conversation> {
  const conversation = await ctx.conversations.get(id);
  if (!conversation || !reaches(reach, conversation.tenantId)) throw new NotFoundError(`no conversation ${id}`, 'conversation');
  return conversation;
}

/** The candidate with this external id in the tenant named (within reach). */
export async function candidateWithin(ctx: Context, reach: Reach, tenant: string, externalId: string): Promise<Candidate> {
  const within = await tenantWithin(ctx, reach, tenant);
  const candidate = await ctx.candidates.get(within.slug, externalId);
  if (!candidate) throw new NotFoundError(`no candidate "${externalId}" in ${within.slug}`, 'candidate');
  return candidate;
}

const placeOf = (e: ThreadEntry): ThreadPlace =>
  e.direction === 'in' ? { at: e.message.receivedAt, id: e.message.id } : { at: e.outbound.createdAt, id: e.outbound.id };

const before = (a: ThreadPlace, b: ThreadPlace): number => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A page of a conversation's thread, oldest first, after `after` (the last
 * place of the previous page); `next` is where the following page starts, or
 * null at the end.
 */
export async function conversationThread(
  ctx: Context,
  reach: Reach,
  id: number,
  after: ThreadPlace | null,
  limit: number,
): Promise<{ conversation: Conversation; candidate: Candidate | null; items: ThreadEntry[]; next: ThreadPlace | null }> {
  const conversation = await conversationWithin(ctx, reach, id);
  // Each side a page and one more: merged, the first `limit` are the page, and anything left says there is more.
  const received = await ctx.messages.inConversation(id, after, limit + 1);
  const sent = await ctx.outbound.inConversation(id, after, limit + 1);
  const merged: ThreadEntry[] = [
    ...received.map((message) => ({ direction: 'in' as const, message })),
    ...sent.map((outbound) => ({ direction: 'out' as const, outbound })),
  ].sort((a, b) => before(placeOf(a), placeOf(b)));
  const items = merged.slice(0, limit);
  const last = items[items.length - 1];
  const candidate = conversation.candidateId === null ? null : await ctx.candidates.byId(conversation.candidateId);
  return { conversation, candidate, items, next: merged.length > limit && last ? placeOf(last) : null };
}

/** A candidate's conversations, newest first, a page at a time. */
export async function candidateConversations(
  ctx: Context,
  reach: Reach,
  tenant: string,
  externalId: string,
  beforeId: number | null,
  limit: number,
): Promise<{ candidate: Candidate; conversations: Conversation[]; more: boolean }> {
  const candidate = await candidateWithin(ctx, reach, tenant, externalId);
  const list = await ctx.conversations.ofCandidate(candidate.id, beforeId, limit + 1);
  return { candidate, conversations: list.slice(0, limit), more: list.length > limit };
}

/**
 * The outbound message a message naming these Message-IDs (In-Reply-To,
 * References) answers: the newest of those the tenant, or a parent of it, sent.
 */
export async function answeredOutbound(ctx: Context, reach: Reach, tenant: string, messageIds: readonly string[]): Promise<OutboundMessage | null> {
  const chain: number[] = [];
  for (let t: Tenant | null = await tenantWithin(ctx, reach, tenant); t && !chain.includes(t.id); t = t.parent ? await ctx.tenants.get(t.parent) : null)
    chain.push(t.id);
  const id = await ctx.outbound.newestNamed(chain, messageIds);
  return id ? await ctx.outbound.get(id) : null;
}
