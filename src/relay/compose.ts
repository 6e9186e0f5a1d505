// Composing an outbound message: our Message-ID on the account's sending domain
// (random, so that nobody can name it in a References header without having seen it),
// a Reply-To that carries the conversation's signed token on the tenant's reply
// domain, In-Reply-To/References when it continues a conversation, and the row
// in the outbound queue, all in one transaction so what was queued is exactly
// what replies will be matched against.
import { ConfigError, ConflictError, InvalidError, NotFoundError } from '../errors.ts';
import { ReplyTokens } from '../match/tokens.ts';
import type { Keyring } from '../secrets/keyring.ts';
import {
  newMessageId,
  unguessableMessageId,
  normalizeAddress,
  type Account,
  type AccountStore,
  type Candidate,
  type OutboundMessage,
  type Repositories,
  type Tenant,
  type TenantStore,
} from '../store/index.ts';

// Optional fields may be given as undefined: the CLI and the API pass what they were given.
export interface ComposeRequest {
  tenant: string;
  accountId?: number | undefined;
  /** The sending user, for per-user accounts. */
  owner?: string | undefined;
  /** The recipient: an address, or the account's own reply address (the test email). */
  to: string | { ownReplyAddress: true };
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  candidate?: Candidate | null | undefined;
  conversationId?: number | undefined;
  purpose?: 'send' | 'test' | undefined;
}

export interface ComposeDeps {
  repositories: Repositories;
  keyring: Keyring;
  now: Date;
  /** relay.platformTenant: whose default account sends when the tenant has none. */
  platformTenant?: string;
}

/** The tenant and its parents, nearest first. */
export async function tenantChain(tenants: TenantStore, slug: string): Promise<Tenant[]> {
  const chain: Tenant[] = [];
  for (let t = await tenants.get(slug); t && !chain.some((c) => c.id === t?.id); t = t.parent ? await tenants.get(t.parent) : null) chain.push(t);
  return chain;
}

/** The reply domain replies come back on: the tenant's own, else its parent's. */
export function replyDomainOf(chain: readonly Tenant[]): string | null {
  for (const t of chain) if (t.replyDomains[0]) return t.replyDomains[0];
  return null;
}

/** Which account sends: the explicit one, else the user's own, else the nearest default up the tenant chain. */
export async function chooseAccount(
  accounts: AccountStore,
  chain: readonly Tenant[],
  accountId: number | undefined,
  owner: string | undefined,
  platform: Tenant | null = null,
): Promise<Account> {
  if (accountId !== undefined) {
    const account = await accounts.get(accountId);
    if (!account || !chain.some((t) => t.id === account.tenantId))
      throw new NotFoundError(`no account ${accountId} for tenant "${chain[0]?.slug}"`, 'accountId');
    return account;
  }
  // Last, the platform's own account (managed sending), when configured.
  const chosen = await accounts.choose([...chain.map((t) => t.id), ...(platform ? [platform.id] : [])], owner ?? null);
  if (!chosen) {
    throw new ConflictError(
      `tenant "${chain[0]?.slug}" has no default sending account${owner ? ` and user ${owner} none of their own` : ''}; give it a default sending account (or one of the platform's, relay.platformTenant), or name an account`,
    );
  }
  return chosen;
}

export async function composeOutbound(deps: ComposeDeps, request: ComposeRequest): Promise<OutboundMessage> {
  const { repositories, keyring, now } = deps;
  const { tenants, accounts } = repositories;
  const chain = await tenantChain(tenants, request.tenant);
  const tenant = chain[0];
  if (!tenant) throw new NotFoundError(`no tenant "${request.tenant}"`, 'tenant');
  const given = typeof request.to === 'string' ? normalizeAddress(request.to) : null;
  if (typeof request.to === 'string' && !given) throw new InvalidError(`"${request.to}" is not an email address`, 'to');
  if (!request.text && !request.html) throw new InvalidError('a message needs a text or an HTML body, or both', 'text');
  if (!request.subject.trim()) throw new InvalidError('a message needs a subject', 'subject');
  const replyDomain = replyDomainOf(chain);
  if (!replyDomain)
    throw new ConflictError(
      `tenant "${tenant.slug}" has no reply domain, so replies could not come back: give the tenant (or its parent) a reply domain first`,
    );
  const platform = deps.platformTenant ? await tenants.get(deps.platformTenant) : null;
  if (deps.platformTenant && !platform) throw new ConfigError([`relay.platformTenant names tenant "${deps.platformTenant}", which does not exist`]);
  const account = await chooseAccount(accounts, chain, request.accountId, request.owner, platform);
  const at = now.toISOString();
  // Valid and about to be written: a stopped relay thread starts now, its start overlapping the transaction.
  repositories.sql.work.coming('outbound');

  return repositories.transaction(async ({ conversations, outbound, tokenKeys: keys }) => {
    await keys.ensure(keyring, at);
    let conversationId: number;
    let inReplyTo: string | null = null;
    let references: string[] = [];
    if (request.conversationId !== undefined) {
      const conversation = await conversations.get(request.conversationId);
      if (!conversation || !chain.some((t) => t.id === conversation.tenantId))
        throw new NotFoundError(`no conversation ${request.conversationId} for tenant "${tenant.slug}"`, 'conversationId');
      conversationId = conversation.id;
      ({ inReplyTo, references } = await conversations.threadReferences(conversationId));
    } else {
      conversationId = await conversations.open(tenant.id, request.candidate?.id ?? null, request.subject, at);
    }
    const token = new ReplyTokens(await keys.keys(keyring)).issue(tenant.id, conversationId);
    const replyTo = `${account.replyLocal}+${token}@${replyDomain}`;
    const message = {
      id: newMessageId(),
      tenantId: tenant.id,
      accountId: account.id,
      candidateId: request.candidate?.id ?? (await conversations.get(conversationId))?.candidateId ?? null,
      conversationId,
      purpose: request.purpose ?? 'send',
      messageId: unguessableMessageId(account.sendingDomain),
      recipient: given ?? replyTo,
      replyTo,
      subject: request.subject,
      text: request.text ?? null,
      html: request.html ?? null,
      inReplyTo,
      references,
    };
    await outbound.enqueue(message, at, now.getTime());
    return (await outbound.get(message.id)) as OutboundMessage;
  });
}
