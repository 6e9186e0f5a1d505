// What matching needs to know about a message's tenant, read on the pipeline's
// own read-only connection: its chain (subcompany, then parent), its own
// domains, our addresses for it, and its candidates by address. Every lookup is
// scoped to the tenant that owns the message: tenants never see each other.
// The pipeline matches a group of messages at once: the lookups they ask in the
// same turn are one statement each (batcher.ts), keyed by the group's message
// ids, tenants, addresses and Message-IDs.
import type { Sql, SqlStatement } from './sql/sql.ts';
import { Batcher, pairKey, splitPairKeys } from './batcher.ts';
import type { BounceFinding, CandidateRef, OutboundRef, ThreadFinding, TokenFinding } from '../match/decide.ts';
import { tokenOfLocalPart, type ReplyTokens } from '../match/tokens.ts';
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
  private readonly sql: Sql;
  // Prepared once: these run for every message the pipeline matches, or a group of them.
  private readonly threadCandidate: SqlStatement<[number, string], { id: number; external_id: string; name: string; conversation_id: number | null }>;
  private readonly conversationOf: SqlStatement<[number, number], { candidate_id: number | null }>;
  private readonly outbound: OutboundStore;
  private readonly tokens: () => Promise<ReplyTokens | null>;
  /** By message id: its tenant and the parents, nearest first, with their company inboxes. */
  private readonly chains: Batcher<{ id: number; inboxes: string | null }[]>;
  /** By tenant id. */
  private readonly domains: Batcher<string[]>;
  /** By value (an address or a domain). */
  private readonly routes: Batcher<{ kind: string; tenant_id: number } | null>;
  /** By tenant and normalized address. */
  private readonly byEmail: Batcher<CandidateRef[]>;
  /** By tenant and Message-ID (without angle brackets). */
  private readonly sent: Batcher<OutboundMessage | null>;
  /** By id (as text). */
  private readonly candidates: Batcher<CandidateRef | null>;

  /** `tokens` gives the current reply-token keys (they may be added while the server runs). */
  constructor(sql: Sql, tokens: () => Promise<ReplyTokens | null> = async () => null) {
    this.sql = sql;
    this.tokens = tokens;
    this.outbound = new OutboundStore(sql);
    this.conversationOf = sql.prepare('SELECT candidate_id FROM conversations WHERE id = ? AND tenant_id = ?');
    this.threadCandidate = sql.prepare(
      `SELECT c.id, c.external_id, c.name, m.conversation_id FROM messages m JOIN candidates c ON c.id = m.candidate_id WHERE m.tenant_id = ? AND m.message_id = ? LIMIT 1`,
    );
    const { jsonValues } = sql.fn;
    // The messages' tenants and their parents, nearest first (PostgreSQL: a statement each was most of matching's cost).
    const chainOf = sql.prepare<[string], { origin: string; id: number; inboxes: string | null }>(
      `WITH RECURSIVE chain(origin, id, parent_id, depth) AS (
         SELECT m.id, t.id, t.parent_id, 0 FROM messages m JOIN tenants t ON t.id = m.tenant_id WHERE m.id IN (${jsonValues('text')})
         UNION ALL
         SELECT c.origin, t.id, t.parent_id, c.depth + 1 FROM chain c JOIN tenants t ON t.id = c.parent_id WHERE c.depth < ${MAX_CHAIN}
       )
       SELECT c.origin, c.id, t.inboxes FROM chain c JOIN tenants t ON t.id = c.id ORDER BY c.origin, c.depth`,
    );
    this.chains = new Batcher(
      async (ids) =>
        grouped(
          await chainOf.all(JSON.stringify(ids)),
          (r) => r.origin,
          (r) => ({ id: r.id, inboxes: r.inboxes }),
        ),
      [],
    );
    const domainsOf = sql.prepare<[string], { tenant_id: number; domain: string }>(
      `SELECT tenant_id, domain FROM tenant_domains WHERE tenant_id IN (${jsonValues('integer')})`,
    );
    this.domains = new Batcher(
      async (ids) =>
        grouped(
          await domainsOf.all(JSON.stringify(ids.map(Number))),
          (r) => String(r.tenant_id),
          (r) => r.domain,
        ),
      [],
    );
    const routesOf = sql.prepare<[string], { value: string; kind: string; tenant_id: number }>(
      `SELECT value, kind, tenant_id FROM routes WHERE value IN (${jsonValues('text')})`,
    );
    this.routes = new Batcher(
      async (values) => new Map((await routesOf.all(JSON.stringify(values))).map((r) => [r.value, { kind: r.kind, tenant_id: r.tenant_id }])),
      null,
    );
    const candidatesOf = sql.prepare<[string, string], { tenant_id: number; email: string; id: number; external_id: string; name: string }>(
      `SELECT e.tenant_id, e.email, c.id, c.external_id, c.name
       FROM (${sql.fn.jsonPairs('integer', 'text')}) p ${sql.fn.joinInOrder} candidate_emails e ON e.tenant_id = p.k1 AND e.email = p.k2
       JOIN candidates c ON c.id = e.candidate_id ORDER BY c.id`,
    );
    this.byEmail = new Batcher(async (keys) => {
      const { tenantIds, values } = splitPairKeys(keys);
      const rows = await candidatesOf.all(JSON.stringify(tenantIds), JSON.stringify(values));
      return grouped(
        rows,
        (r) => pairKey(r.tenant_id, r.email),
        (r) => ({ id: r.id, externalId: r.external_id, name: r.name }),
      );
    }, []);
    this.sent = new Batcher(async (keys) => {
      const { tenantIds, values } = splitPairKeys(keys);
      const found = new Map<string, OutboundMessage>();
      // The first of a tenant's messages with that Message-ID, as a lookup of one gives.
      for (const o of await this.outbound.byMessageIds(tenantIds, values))
        if (!found.has(pairKey(o.tenantId, o.messageId))) found.set(pairKey(o.tenantId, o.messageId), o);
      return found;
    }, null);
    const candidatesById = sql.prepare<[string], { id: number; external_id: string; name: string }>(
      `SELECT id, external_id, name FROM candidates WHERE id IN (${jsonValues('integer')})`,
    );
    this.candidates = new Batcher(
      async (ids) =>
        new Map((await candidatesById.all(JSON.stringify(ids.map(Number)))).map((r) => [String(r.id), { id: r.id, externalId: r.external_id, name: r.name }])),
      null,
    );
  }

  async tenantOfMessage(messageId: string): Promise<TenantView | null> {
    const rows = await this.chains.load(messageId);
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
    const domains = await this.domains.load(String(first.id));
    return { tenantId: first.id, chain, domains, inboxes };
  }

  /** Whether mailroom receives mail for this address (for any tenant): a message from it to us is a loop. */
  async isOwnAddress(address: string): Promise<boolean> {
    const normalized = normalizeAddress(address);
    if (!normalized) return false;
    const domain = normalized.slice(normalized.lastIndexOf('@') + 1);
    const [byAddress, byDomain] = await Promise.all([this.routes.load(normalized), this.routes.load(domain)]);
    return byAddress?.kind === 'forward_address' || byDomain?.kind === 'reply_domain';
  }

  private async candidate(id: number | null): Promise<CandidateRef | null> {
    return id === null ? null : await this.candidates.load(String(id));
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
    // Ours among them, asked at once (and with the group's other messages); then the newest reference first.
    const ours = await Promise.all(messageIds.map((messageId) => this.sentBy(chain, messageId)));
    for (const [i, messageId] of [...messageIds.entries()].reverse()) {
      const sent = ours[i] ?? null;
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
    let newest: OutboundMessage | null = null;
    for (const sent of await Promise.all(messageIds.map((messageId) => this.sentBy(chain, messageId)))) {
      if (sent && (!newest || sent.createdAt > newest.createdAt || (sent.createdAt === newest.createdAt && sent.id > newest.id))) newest = sent;
    }
    return newest?.id ?? null;
  }

  /** This message is one we sent (its own Message-ID is ours). */
  async ownOutbound(chain: readonly number[], messageId: string | null): Promise<OutboundRef | null> {
    const sent = messageId ? await this.sentBy(chain, messageId) : null;
    return sent ? await this.outboundRef(sent) : null;
  }

  /** Our message with this Message-ID, sent by the first tenant of the chain that has one. */
  private async sentBy(chain: readonly number[], messageId: string): Promise<OutboundMessage | null> {
    const id = messageId.replace(/^<|>$/g, '');
    const found = await Promise.all(chain.map((tenantId) => this.sent.load(pairKey(tenantId, id))));
    return found.find((sent) => sent !== null) ?? null;
  }

  /** The outbound message a bounce reports on: by its original Message-ID, else the last one sent to the failed recipient. */
  async bounceTarget(chain: readonly number[], originalMessageId: string | null, recipient: string | null, hard: boolean): Promise<BounceFinding | null> {
    const byId = originalMessageId ? await this.sentBy(chain, originalMessageId) : null;
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
      if (!normalized || (await this.routes.load(normalized.slice(normalized.lastIndexOf('@') + 1)))?.kind !== 'reply_domain') continue;
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
    const route = normalized ? await this.routes.load(normalized) : null;
    return route?.kind === 'forward_address' && route.tenant_id === tenantId;
  }

  /** The candidates with this address of the first tenant of the chain that has any (as CandidateStore.findByEmail). */
  async candidatesFor(chain: readonly number[], address: string): Promise<CandidateRef[]> {
    const normalized = normalizeAddress(address);
    if (!normalized) return [];
    const found = await Promise.all(chain.map((tenantId) => this.byEmail.load(pairKey(tenantId, normalized))));
    return found.find((candidates) => candidates.length > 0) ?? [];
  }
}

/** Rows grouped by a key, in their order. */
function grouped<R, V>(rows: readonly R[], key: (row: R) => string, value: (row: R) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const row of rows) {
    const list = groups.get(key(row));
    if (list) list.push(value(row));
    else groups.set(key(row), [value(row)]);
  }
  return groups;
}
