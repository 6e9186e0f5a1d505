// Queueing a message through the relay: the tenant, candidate, account and
// conversation named must all be within the caller's reach (only the implicit
// choice of account may fall back to a parent's default or the platform's).
import { NotFoundError } from '../errors.ts';
import { composeOutbound, type ComposeRequest } from '../relay/compose.ts';
import type { Context } from '../context.ts';
import type { OutboundMessage } from '../store/index.ts';
import { reaches, tenantWithin, type Reach } from './reach.ts';

export interface SendRequest extends Omit<ComposeRequest, 'candidate' | 'purpose'> {
  /** The candidate's external id: replies are matched to them. */
  candidate?: string | undefined;
}

/** Queues the message (the running server's relay sends it) and returns it as queued. */
export async function sendMessage(ctx: Context, reach: Reach, request: SendRequest): Promise<OutboundMessage> {
  const tenant = await tenantWithin(ctx, reach, request.tenant);
  const candidate = request.candidate ? await ctx.candidates.get(tenant.slug, request.candidate) : null;
  if (request.candidate && !candidate) throw new NotFoundError(`no candidate "${request.candidate}" in tenant "${tenant.slug}"`, 'candidate');
  if (request.accountId !== undefined) {
    const account = await ctx.accounts.get(request.accountId);
    if (!account || !reaches(reach, account.tenantId)) throw new NotFoundError(`no account ${request.accountId}`, 'accountId');
  }
  if (request.conversationId !== undefined) {
    const conversation = await ctx.conversations.get(request.conversationId);
    if (!conversation || !reaches(reach, conversation.tenantId)) throw new NotFoundError(`no conversation ${request.conversationId}`, 'conversationId');
  }
  return await composeOutbound(
    { repositories: ctx, keyring: ctx.keyring(), now: ctx.clock.now(), platformTenant: ctx.config.relay.platformTenant },
    { ...request, tenant: tenant.slug, candidate },
  );
}
