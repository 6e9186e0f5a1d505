// Clearing the unassigned queue by hand: assigning a message to a candidate
// (optionally remembering the sender's address on the candidate), dismissing
// it, and running messages through the pipeline again.
import { ConflictError, InvalidError, NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import { normalizeAddress, type Candidate, type StoredMessage } from '../store/index.ts';
import { announceMessage } from '../webhooks/announce.ts';
import { messageWithin, tenantsWithin, tenantWithin, type Reach } from './reach.ts';

async function unassignedWithin(ctx: Context, reach: Reach, id: string): Promise<StoredMessage> {
  const message = await messageWithin(ctx, reach, id);
  if (message.status !== 'unassigned') throw new ConflictError(`message ${message.id} is ${message.status}, not unassigned`);
  return message;
}

/** The address "remember this address" would add to the candidate, or none and why. */
export interface AddressToRemember {
  address: string | null;
  why: string;
}

/**
 * The sender the matching judged, never an address the body merely names: the
 * From as the authentication checks read it, or a forward's original sender
 * only when the decision trusted the forward (the tenant's own authenticated
 * forwarder). Anything else would let a stranger's forwarded block teach the
 * candidate an attacker's address, which authenticated mail then matches.
 */
export function addressToRemember(message: StoredMessage): AddressToRemember {
  const forward = message.decision?.evidence.forward;
  if (forward?.trusted === true)
    return { address: forward.originalFrom.toLowerCase(), why: "the original sender of a forward from the tenant's own authenticated address" };
  const notForward = forward ? ` (not ${forward.originalFrom}, named in an untrusted forward: ${String(forward.why)})` : '';
  const sender = message.auth?.sender;
  if (sender) {
    if (!sender.address) return { address: null, why: `no single sender to remember: ${sender.detail}` };
    const proof = sender.authenticated ? `authenticated: ${sender.detail}` : `not authenticated: ${sender.detail}`;
    return { address: sender.address, why: `the From address (${proof})${notForward}` };
  }
  if (!message.from) return { address: null, why: 'the message has no From address' };
  return { address: message.from.toLowerCase(), why: `the From address${notForward}` };
}

export interface Assignment {
  message: StoredMessage;
  candidate: Candidate;
  /** The address added to the candidate, when asked to remember it. */
  remembered: string | null;
}

/** Files an unassigned message under a candidate of its tenant (method `manual`), with its event. */
export async function assignMessage(
  ctx: Context,
  reach: Reach,
  id: string,
  request: { candidate: string; rememberAddress?: boolean | undefined },
): Promise<Assignment> {
  const message = await unassignedWithin(ctx, reach, id);
  const candidate = await ctx.candidates.get(message.tenant, request.candidate);
  if (!candidate) throw new NotFoundError(`no candidate "${request.candidate}" in tenant "${message.tenant}"`, 'candidate');
  const { address: sender, why } = addressToRemember(message);
  if (request.rememberAddress && !sender) throw new ConflictError(`message ${message.id} has no address to remember: ${why}`, 'rememberAddress');
  const at = ctx.clock.now().toISOString();
  // Only an address the candidate did not have is taken back by an undo.
  const rememberedNew = Boolean(request.rememberAddress && sender && !candidate.emails.includes(normalizeAddress(sender) ?? sender));
  const assigned = await ctx.transaction(async (tx) => {
    if (request.rememberAddress && sender)
      await tx.candidates.upsert(message.tenant, {
        externalId: candidate.externalId,
        name: candidate.name,
        emails: candidate.emails.some((e) => e.toLowerCase() === sender) ? [...candidate.emails] : [...candidate.emails, sender],
      });
    const tenantId = (await tx.messages.tenantOf(message.id)) as number;
    const conversationId = await tx.conversations.place(tenantId, candidate.id, message.subject, null, at);
    const undo = {
      at,
      decision: message.decision,
      conversationId: message.conversationId,
      remembered: rememberedNew && sender ? (normalizeAddress(sender) ?? sender) : null,
    };
    await tx.messages.assignManually(message.id, { id: candidate.id, externalId: candidate.externalId, name: candidate.name }, conversationId, at, undo);
    const after = (await tx.messages.get(message.id)) as StoredMessage;
    await announceMessage(tx, tenantId, 'message.assigned', after, at);
    return after;
  });
  return { message: assigned, candidate, remembered: request.rememberAddress ? sender : null };
}

/** Takes a message out of the queue without assigning it; it stays visible as dismissed, with the note. */
export async function dismissMessage(ctx: Context, reach: Reach, id: string, note: string | null): Promise<StoredMessage> {
  const message = await unassignedWithin(ctx, reach, id);
  const at = ctx.clock.now().toISOString();
  return ctx.transaction(async (tx) => {
    await tx.messages.dismiss(message.id, note, at);
    const after = (await tx.messages.get(message.id)) as StoredMessage;
    await announceMessage(tx, (await tx.messages.tenantOf(message.id)) as number, 'message.dismissed', after, at);
    return after;
  });
}

/** How long after filing or dismissing by hand the change can be undone. */
export const UNDO_SECONDS = 120;

/**
 * Takes back a filing or dismissal made by hand a moment ago: the message is
 * unassigned again as it stood before (an address remembered with the filing
 * is forgotten again), announced as message.unassigned.
 */
export async function undoFiling(ctx: Context, reach: Reach, id: string): Promise<StoredMessage> {
  const message = await messageWithin(ctx, reach, id);
  const undo = message.decision?.undo;
  const byHand = message.status === 'dismissed' || (message.status === 'assigned' && message.decision?.method === 'manual');
  if (!byHand || !undo) throw new ConflictError(`message ${message.id} is ${message.status}; only a filing or dismissal by hand can be undone`);
  const now = ctx.clock.now();
  if (now.getTime() - Date.parse(undo.at) > UNDO_SECONDS * 1000)
    throw new ConflictError(`message ${message.id} was ${message.status} more than ${UNDO_SECONDS} seconds ago: too late to undo`);
  const at = now.toISOString();
  return ctx.transaction(async (tx) => {
    const candidate = message.decision?.candidate;
    if (message.status === 'assigned' && undo.remembered && candidate) {
      const current = await tx.candidates.get(message.tenant, candidate.externalId);
      const emails = current?.emails.filter((e) => e !== undo.remembered) ?? [];
      if (current && emails.length > 0) await tx.candidates.upsert(message.tenant, { externalId: current.externalId, name: current.name, emails });
    }
    await tx.messages.restoreUnassigned(message.id, undo);
    const after = (await tx.messages.get(message.id)) as StoredMessage;
    await announceMessage(tx, (await tx.messages.tenantOf(message.id)) as number, 'message.unassigned', after, at);
    return after;
  });
}

/** Candidates of a tenant within reach whose name, address or external id has every word typed; at most 20. */
export async function searchCandidates(ctx: Context, reach: Reach, tenant: string, query: string, limit = 10): Promise<Candidate[]> {
  const found = await tenantWithin(ctx, reach, tenant);
  return ctx.candidates.search(found.id, query.slice(0, 200), Math.min(Math.max(limit, 1), 20));
}

/** How many messages wait unassigned within reach (the console's navigation shows it). */
export async function waitingCount(ctx: Context, reach: Reach): Promise<number> {
  return ctx.messages.countUnassigned(reach.tenantIds === 'all' ? null : reach.tenantIds);
}

/** The next unassigned message within reach after `id` in the queue's order (newest first), else the newest; null when none waits. */
export async function nextWaiting(ctx: Context, reach: Reach, id: string): Promise<string | null> {
  const tenantIds = reach.tenantIds === 'all' ? {} : { tenantIds: reach.tenantIds };
  const older = await ctx.messages.list({ status: 'unassigned', before: id, limit: 1, ...tenantIds });
  const found = older[0] ?? (await ctx.messages.list({ status: 'unassigned', limit: 1, ...tenantIds }))[0];
  return found && found.id !== id ? found.id : null;
}

export interface ReprocessRequest {
  ids?: readonly string[];
  /** Every unassigned message (of this tenant, when given). */
  unassigned?: { tenant?: string | undefined };
  /** Told after each batch: how many of how many are queued. */
  progress?: (queued: number, total: number) => void;
}

/** Queues messages for the pipeline again (a running server picks them up); returns how many were queued. */
export async function reprocessMessages(ctx: Context, reach: Reach, request: ReprocessRequest): Promise<number> {
  const chosen: string[] = [];
  for (const id of request.ids ?? []) chosen.push((await messageWithin(ctx, reach, id.toUpperCase())).id);
  if (request.unassigned) {
    const queue = await ctx.messages.list({
      status: 'unassigned',
      limit: 1_000_000,
      ...(request.unassigned.tenant ? { tenant: request.unassigned.tenant } : {}),
    });
    // The tenants within reach by slug, looked up once (a query per message would be a million for a big queue).
    const within = reach.tenantIds === 'all' ? null : new Set((await tenantsWithin(ctx, reach)).map((t) => t.slug));
    chosen.push(...queue.filter((m) => within === null || within.has(m.tenant)).map((m) => m.id));
  }
  if (chosen.length === 0 && !request.unassigned) throw new InvalidError('name message ids, or ask for every unassigned message', 'ids');
  let queued = 0;
  const batch = 500;
  for (let i = 0; i < chosen.length; i += batch) {
    queued += await ctx.messages.requeue(chosen.slice(i, i + batch), ctx.clock.now().getTime());
    request.progress?.(Math.min(i + batch, chosen.length), chosen.length);
  }
  return queued;
}
