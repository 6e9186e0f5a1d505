// What matching needs to know about a message's tenant, read on the pipeline's
// own read-only connection: its chain (subcompany, then parent), its own
// domains, our addresses for it, and its candidates by address. Every lookup is
// scoped to the tenant that owns the message: tenants never see each other.
import type { Statement } from 'better-sqlite3';
import type { BounceFinding, CandidateRef, OutboundRef, ThreadFinding, TokenFinding } from '../match/decide.ts';
import { tokenOfLocalPart, type ReplyTokens } from '../match/tokens.ts';
import { CandidateStore } from './candidates.ts';
import type { Database } from './database.ts';
import { OutboundStore, type OutboundMessage } from './outbound.ts';
import { normalizeAddress } from './tenants.ts';

export interface TenantView {
  tenantId: number;
  /** The tenant, then its parent, then the parent's parent. */
  chain: number[];
  domains: string[];
  /** The company inboxes that forward to us (tenant and parents): trusted forwarders. */
  inboxes: string[];
  isOwnAddress: (address: string) => boolean;
}

export class MatchLookups {
  private readonly candidates: CandidateStore;
  // Prepared once: these run for every message the pipeline matches.
  private readonly tenantOf: Statement<[string], { tenant_id: number }>;
  private readonly parentOf: Statement<[number], { parent_id: number | null }>;
  private readonly domainsOf: Statement<[number], { domain: string }>;
  private readonly inboxesOf: Statement<[number], { inboxes: string | null }>;
  private readonly route: Statement<[string], { kind: string; tenant_id: number }>;
  private readonly threadCandidate: Statement<[number, string], { id: number; external_id: string; name: string; conversation_id: number | null }>;
  private readonly candidateById: Statement<[number], { id: number; external_id: string; name: string }>;
  private readonly conversationOf: Statement<[number, number], { candidate_id: number | null }>;
  private readonly outbound: OutboundStore;
  private readonly tokens: () => ReplyTokens | null;

  /** `tokens` gives the current reply-token keys (they may be added while the server runs). */
  constructor(db: Database, tokens: () => ReplyTokens | null = () => null) {
    this.tokens = tokens;
    this.outbound = new OutboundStore(db);
    this.candidates = new CandidateStore(db, () => new Date());
    this.candidateById = db.prepare('SELECT id, external_id, name FROM candidates WHERE id = ?');
    this.conversationOf = db.prepare('SELECT candidate_id FROM conversations WHERE id = ? AND tenant_id = ?');
    this.tenantOf = db.prepare('SELECT tenant_id FROM messages WHERE id = ?');
    this.parentOf = db.prepare('SELECT parent_id FROM tenants WHERE id = ?');
    this.domainsOf = db.prepare('SELECT domain FROM tenant_domains WHERE tenant_id = ?');
    this.inboxesOf = db.prepare('SELECT inboxes FROM tenants WHERE id = ?');
    this.route = db.prepare('SELECT kind, tenant_id FROM routes WHERE value = ?');
    this.threadCandidate = db.prepare(
      `SELECT c.id, c.external_id, c.name, m.conversation_id FROM messages m JOIN candidates c ON c.id = m.candidate_id WHERE m.tenant_id = ? AND m.message_id = ? LIMIT 1`,
    );
  }

  tenantOfMessage(messageId: string): TenantView | null {
    const row = this.tenantOf.get(messageId);
    if (!row) return null;
    const chain: number[] = [];
    for (let id: number | null = row.tenant_id; id !== null && !chain.includes(id);) {
      chain.push(id);
      id = this.parentOf.get(id)?.parent_id ?? null;
    }
    const domains = this.domainsOf.all(row.tenant_id).map((r) => r.domain);
    const inboxes = chain.flatMap((id) => JSON.parse(this.inboxesOf.get(id)?.inboxes ?? '[]') as string[]);
    const route = this.route;
    return {
      tenantId: row.tenant_id,
      chain,
      domains,
      inboxes,
      // Any address mailroom receives for (of any tenant) sending to us is a loop.
      isOwnAddress: (address) => {
        const normalized = normalizeAddress(address);
        if (!normalized) return false;
        const exact = route.get(normalized);
        const byDomain = route.get(normalized.slice(normalized.lastIndexOf('@') + 1));
        return exact?.kind === 'forward_address' || byDomain?.kind === 'reply_domain';
      },
    };
  }

  private candidate(id: number | null): CandidateRef | null {
    if (id === null) return null;
    const row = this.candidateById.get(id);
    return row ? { id: row.id, externalId: row.external_id, name: row.name } : null;
  }

  private outboundRef(o: OutboundMessage): OutboundRef {
    return {
      id: o.id,
      purpose: o.purpose,
      accountId: o.accountId || null,
      candidate: this.candidate(o.candidateId),
      conversationId: o.conversationId || null,
      recipient: o.recipient,
    };
  }

  /**
   * The earlier message, sent or received by this tenant chain, that the new one
   * names in In-Reply-To or References (newest reference first), when it is on a
   * candidate.
   */
  thread(chain: readonly number[], messageIds: readonly string[]): ThreadFinding | null {
    for (const messageId of [...messageIds].reverse()) {
      const sent = this.outbound.byMessageId(chain, messageId);
      const sentCandidate = sent ? this.candidate(sent.candidateId) : null;
      if (sent && sentCandidate) return { messageId, candidate: sentCandidate, conversationId: sent.conversationId || null, outboundId: sent.id };
      for (const tenantId of chain) {
        const row = this.threadCandidate.get(tenantId, messageId);
        if (row)
          return { messageId, candidate: { id: row.id, externalId: row.external_id, name: row.name }, conversationId: row.conversation_id, outboundId: null };
      }
    }
    return null;
  }

  /** This message is one we sent (its own Message-ID is ours). */
  ownOutbound(chain: readonly number[], messageId: string | null): OutboundRef | null {
    const sent = messageId ? this.outbound.byMessageId(chain, messageId) : null;
    return sent ? this.outboundRef(sent) : null;
  }

  /** The outbound message a bounce reports on: by its original Message-ID, else the last one sent to the failed recipient. */
  bounceTarget(chain: readonly number[], originalMessageId: string | null, recipient: string | null, hard: boolean): BounceFinding | null {
    const byId = originalMessageId ? this.outbound.byMessageId(chain, originalMessageId) : null;
    if (byId) return { outbound: this.outboundRef(byId), via: 'message_id', hard, recipient: recipient ?? byId.recipient };
    const normalized = recipient ? normalizeAddress(recipient) : null;
    const byRecipient = normalized ? this.outbound.lastSentTo(chain, normalized) : null;
    return byRecipient ? { outbound: this.outboundRef(byRecipient), via: 'recipient', hard, recipient: normalized } : null;
  }

  /**
   * The reply token in the recipients (`local+TOKEN@reply-domain`), checked
   * against this tenant chain's keys; a genuine one over a bad one.
   */
  token(chain: readonly number[], recipients: readonly string[]): TokenFinding | null {
    let bad: TokenFinding | null = null;
    for (const recipient of recipients) {
      const normalized = normalizeAddress(recipient);
      if (!normalized || this.route.get(normalized.slice(normalized.lastIndexOf('@') + 1))?.kind !== 'reply_domain') continue;
      const token = tokenOfLocalPart(normalized.slice(0, normalized.lastIndexOf('@')));
      if (!token) continue;
      const verified = this.tokens()?.verify(token, chain) ?? null;
      const conversation = verified ? this.conversationOf.get(verified.conversationId, verified.tenantId) : undefined;
      if (verified && conversation) {
        return { valid: true, token, kid: verified.kid, conversationId: verified.conversationId, candidate: this.candidate(conversation.candidate_id) };
      }
      bad ??= { valid: false, token, recipient: normalized };
    }
    return bad;
  }

  /** `address` is one of this tenant's forwarding addresses. */
  isForwardAddressOf(tenantId: number, address: string): boolean {
    const normalized = normalizeAddress(address);
    const route = normalized ? this.route.get(normalized) : undefined;
    return route?.kind === 'forward_address' && route.tenant_id === tenantId;
  }

  candidatesFor(chain: readonly number[], address: string): { id: number; externalId: string; name: string }[] {
    return this.candidates.findByEmail(chain, address).map((c) => ({ id: c.id, externalId: c.externalId, name: c.name }));
  }
}
