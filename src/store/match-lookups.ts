// What matching needs to know about a message's tenant, read on the pipeline's
// own read-only connection: its chain (subcompany, then parent), its own
// domains, our addresses for it, and its candidates by address. Every lookup is
// scoped to the tenant that owns the message: tenants never see each other.
import type { Statement } from 'better-sqlite3';
import { CandidateStore } from './candidates.ts';
import type { Database } from './database.ts';
import { normalizeAddress } from './tenants.ts';

export interface TenantView {
  tenantId: number;
  /** The tenant, then its parent, then the parent's parent. */
  chain: number[];
  domains: string[];
  isOwnAddress: (address: string) => boolean;
}

export class MatchLookups {
  private readonly candidates: CandidateStore;
  // Prepared once: these run for every message the pipeline matches.
  private readonly tenantOf: Statement<[string], { tenant_id: number }>;
  private readonly parentOf: Statement<[number], { parent_id: number | null }>;
  private readonly domainsOf: Statement<[number], { domain: string }>;
  private readonly routeKind: Statement<[string], { kind: string }>;
  private readonly threadCandidate: Statement<[number, string], { id: number; external_id: string; name: string }>;

  constructor(db: Database) {
    this.candidates = new CandidateStore(db, () => new Date());
    this.tenantOf = db.prepare('SELECT tenant_id FROM messages WHERE id = ?');
    this.parentOf = db.prepare('SELECT parent_id FROM tenants WHERE id = ?');
    this.domainsOf = db.prepare('SELECT domain FROM tenant_domains WHERE tenant_id = ?');
    this.routeKind = db.prepare('SELECT kind FROM routes WHERE value = ?');
    this.threadCandidate = db.prepare(
      `SELECT c.id, c.external_id, c.name FROM messages m JOIN candidates c ON c.id = m.candidate_id WHERE m.tenant_id = ? AND m.message_id = ? LIMIT 1`,
    );
  }

  tenantOfMessage(messageId: string): TenantView | null {
    const row = this.tenantOf.get(messageId);
    if (!row) return null;
    const chain: number[] = [];
    for (let id: number | null = row.tenant_id; id !== null && !chain.includes(id); ) {
      chain.push(id);
      id = this.parentOf.get(id)?.parent_id ?? null;
    }
    const domains = this.domainsOf.all(row.tenant_id).map((r) => r.domain);
    const route = this.routeKind;
    return {
      tenantId: row.tenant_id,
      chain,
      domains,
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

  /**
   * Candidates of earlier messages of this tenant chain whose Message-ID the new
   * message names in In-Reply-To or References (newest reference first).
   */
  candidatesByThread(chain: readonly number[], messageIds: readonly string[]): { id: number; externalId: string; name: string }[] {
    for (const messageId of [...messageIds].reverse()) {
      for (const tenantId of chain) {
        const row = this.threadCandidate.get(tenantId, messageId);
        if (row) return [{ id: row.id, externalId: row.external_id, name: row.name }];
      }
    }
    return [];
  }

  candidatesFor(chain: readonly number[], address: string): { id: number; externalId: string; name: string }[] {
    return this.candidates.findByEmail(chain, address).map((c) => ({ id: c.id, externalId: c.externalId, name: c.name }));
  }
}
