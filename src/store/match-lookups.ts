// What matching needs to know about a message's tenant, read on the pipeline's
// own read-only connection: its chain (subcompany, then parent), its own
// domains, our addresses for it, and its candidates by address. Every lookup is
// scoped to the tenant that owns the message: tenants never see each other.
import type { Sql, SqlStatement } from './sql/sql.ts';
import type { BounceFinding, CandidateRef, OutboundRef, ThreadFinding, TokenFinding } from '../match/decide.ts';
import { tokenOfLocalPart, type ReplyTokens } from '../match/tokens.ts';
import { CandidateStore } from './candidates.ts';
import { OutboundStore, type OutboundMessage } from './outbound.ts';
import { normalizeAddress } from './tenants.ts';

export interface TenantView {
  tenantId: number;
  /** The tenant, then its parent, then the parent's parent. */
  chain: number[];
  domains: string[];
  /** The company inboxes that forward to us (tenant and parents): trusted forwarders. */
  inboxes: string[];
}

/** Parents followed at most from a tenant (subcompanies are one or two levels deep). */
const MAX_CHAIN = 16;

export class MatchLookups {
  private readonly candidates: CandidateStore;
  // Prepared once: these run for every message the pipeline matches.
  private readonly chainOf: SqlStatement<[string], { id: number; inboxes: string | null }>;
  private readonly domainsOf: SqlStatement<[number], { domain: string }>;
  private readonly route: SqlStatement<[string], { kind: string; tenant_id: number }>;
  private readonly routes: SqlStatement<[string, string], { value: string; kind: string }>;
  private readonly threadCandidate: SqlStatement<[number, string], { id: number; external_id: string; name: string; conversation_id: number | null }>;
  private readonly candidateById: SqlStatement<[number], { id: number; external_id: string; name: string }>;
  private readonly conversationOf: SqlStatement<[number, number], { candidate_id: number | null }>;
  private readonly outbound: OutboundStore;
  private readonly tokens: () => Promise<ReplyTokens | null>;

  /** `tokens` gives the current reply-token keys (they may be added while the server runs). */
  constructor(sql: Sql, tokens: () => Promise<ReplyTokens | null> = async () => null) {
    this.tokens = tokens;
    this.outbound = new OutboundStore(sql);
    this.candidates = new CandidateStore(sql, () => new Date());
    this.candidateById = sql.prepare('SELECT id, external_id, name FROM candidates WHERE id = ?');
    this.conversationOf = sql.prepare('SELECT candidate_id FROM conversations WHERE id = ? AND tenant_id = ?');
    // The message's tenant and its parents, nearest first, in one round trip (PostgreSQL: a statement each was most of matching's cost).
    this.chainOf = sql.prepare(
      `WITH RECURSIVE chain(id, parent_id, depth) AS (
         SELECT t.id, t.parent_id, 0 FROM messages m JOIN tenants t ON t.id = m.tenant_id WHERE m.id = ?
         UNION ALL
         SELECT t.id, t.parent_id, c.depth + 1 FROM chain c JOIN tenants t ON t.id = c.parent_id WHERE c.depth < ${MAX_CHAIN}
       )
       SELECT c.id, t.inboxes FROM chain c JOIN tenants t ON t.id = c.id ORDER BY c.depth`,
    );
    this.domainsOf = sql.prepare('SELECT domain FROM tenant_domains WHERE tenant_id = ?');
    this.route = sql.prepare('SELECT kind, tenant_id FROM routes WHERE value = ?');
    this.routes = sql.prepare('SELECT value, kind FROM routes WHERE value IN (?, ?)');
    this.threadCandidate = sql.prepare(
      `SELECT c.id, c.external_id, c.name, m.conversation_id FROM messages m JOIN candidates c ON c.id = m.candidate_id WHERE m.tenant_id = ? AND m.message_id = ? LIMIT 1`,
    );
  }

  async tenantOfMessage(messageId: string): Promise<TenantView | null> {
    const rows = await this.chainOf.all(messageId);
    const first = rows[0];
    if (!first) return null;
    const chain: number[] = [];
    const inboxes: string[] = [];
    // A parent loop (never made by the operations, but not ruled out by the schema) ends at the first tenant seen again.
    for (const row of rows) {
      if (chain.includes(row.id)) break;
      chain.push(row.id);
      inboxes.push(...(JSON.parse(row.inboxes ?? '[]') as string[]));
    }
    const domains = (await this.domainsOf.all(first.id)).map((r) => r.domain);
    return { tenantId: first.id, chain, domains, inboxes };
  }

  /** Whether mailroom receives mail for this address (for any tenant): a message from it to us is a loop. */
  async isOwnAddress(address: string): Promise<boolean> {
    const normalized = normalizeAddress(address);
    if (!normalized) return false;
    const domain = normalized.slice(normalized.lastIndexOf('@') + 1);
    const found = await this.routes.all(normalized, domain);
    return found.some((r) => (r.value === normalized && r.kind === 'forward_address') || (r.value === domain && r.kind === 'reply_domain'));
  }

  private async candidate(id: number | null): Promise<CandidateRef | null> {
    if (id === null) return null;
    const row = await this.candidateById.get(id);
    return row ? { id: row.id, externalId: row.external_id, name: row.name } : null;
  }

  private async outboundRef(o: OutboundMessage): Promise<OutboundRef> {
    return {
      id: o.id,
      purpose: o.purpose,
      accountId: o.accountId || null,
      candidate: await this.candidate(o.candidateId),
      conversationId: o.conversationId || null,
      recipient: o.recipient,
    };
  }

  /**
   * The earlier message, sent or received by this tenant chain, that the new one
   * names in In-Reply-To or References (newest reference first), when it is on a
   * candidate.
   */
  async thread(chain: readonly number[], messageIds: readonly string[]): Promise<ThreadFinding | null> {
    for (const messageId of [...messageIds].reverse()) {
      const sent = await this.outbound.byMessageId(chain, messageId);
      const sentCandidate = sent ? await this.candidate(sent.candidateId) : null;
      if (sent && sentCandidate) return { messageId, candidate: sentCandidate, conversationId: sent.conversationId || null, outboundId: sent.id };
      for (const tenantId of chain) {
        const row = await this.threadCandidate.get(tenantId, messageId);
        if (row)
          return { messageId, candidate: { id: row.id, externalId: row.external_id, name: row.name }, conversationId: row.conversation_id, outboundId: null };
      }
    }
    return null;
  }

  /**
   * The newest of our outbound messages (sent by this tenant chain) among the
   * Message-IDs named, whoever it was sent to: what a reply answers.
   */
  async answered(chain: readonly number[], messageIds: readonly string[]): Promise<string | null> {
    return await this.outbound.newestNamed(chain, messageIds);
  }

  /** This message is one we sent (its own Message-ID is ours). */
  async ownOutbound(chain: readonly number[], messageId: string | null): Promise<OutboundRef | null> {
    const sent = messageId ? await this.outbound.byMessageId(chain, messageId) : null;
    return sent ? await this.outboundRef(sent) : null;
  }

  /** The outbound message a bounce reports on: by its original Message-ID, else the last one sent to the failed recipient. */
  async bounceTarget(chain: readonly number[], originalMessageId: string | null, recipient: string | null, hard: boolean): Promise<BounceFinding | null> {
    const byId = originalMessageId ? await this.outbound.byMessageId(chain, originalMessageId) : null;
    if (byId) return { outbound: await this.outboundRef(byId), via: 'message_id', hard, recipient: recipient ?? byId.recipient };
    const normalized = recipient ? normalizeAddress(recipient) : null;
    const byRecipient = normalized ? await this.outbound.lastSentTo(chain, normalized) : null;
    return byRecipient ? { outbound: await this.outboundRef(byRecipient), via: 'recipient', hard, recipient: normalized } : null;
  }

  /**
   * The reply token in the recipients (`local+TOKEN@reply-domain`), checked
   * against this tenant chain's keys; a genuine one over a bad one.
   */
  async token(chain: readonly number[], recipients: readonly string[]): Promise<TokenFinding | null> {
    let bad: TokenFinding | null = null;
    for (const recipient of recipients) {
      const normalized = normalizeAddress(recipient);
      if (!normalized || (await this.route.get(normalized.slice(normalized.lastIndexOf('@') + 1)))?.kind !== 'reply_domain') continue;
      const token = tokenOfLocalPart(normalized.slice(0, normalized.lastIndexOf('@')));
      if (!token) continue;
      const verified = (await this.tokens())?.verify(token, chain) ?? null;
      const conversation = verified ? await this.conversationOf.get(verified.conversationId, verified.tenantId) : undefined;
      if (verified && conversation) {
        return { valid: true, token, kid: verified.kid, conversationId: verified.conversationId, candidate: await this.candidate(conversation.candidate_id) };
      }
      bad ??= { valid: false, token, recipient: normalized };
    }
    return bad;
  }

  /** `address` is one of this tenant's forwarding addresses. */
  async isForwardAddressOf(tenantId: number, address: string): Promise<boolean> {
    const normalized = normalizeAddress(address);
    const route = normalized ? await this.route.get(normalized) : undefined;
    return route?.kind === 'forward_address' && route.tenant_id === tenantId;
  }

  async candidatesFor(chain: readonly number[], address: string): Promise<{ id: number; externalId: string; name: string }[]> {
    return (await this.candidates.findByEmail(chain, address)).map((c) => ({ id: c.id, externalId: c.externalId, name: c.name }));
  }
}
