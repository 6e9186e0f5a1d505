// What matching needs to know about a message's tenant, read on the pipeline's
// own read-only connection: its chain (subcompany, then parent), its own
// domains, our addresses for it, and its candidates by address. Every lookup is
// scoped to the tenant that owns the message: tenants never see each other.
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
  private readonly db: Database;
  private readonly candidates: CandidateStore;

  constructor(db: Database) {
    this.db = db;
    this.candidates = new CandidateStore(db, () => new Date());
  }

  tenantOfMessage(messageId: string): TenantView | null {
    const row = this.db.prepare('SELECT tenant_id FROM messages WHERE id = ?').get(messageId) as { tenant_id: number } | undefined;
    if (!row) return null;
    const chain: number[] = [];
    for (let id: number | null = row.tenant_id; id !== null && !chain.includes(id); ) {
      chain.push(id);
      id = (this.db.prepare('SELECT parent_id FROM tenants WHERE id = ?').get(id) as { parent_id: number | null } | undefined)?.parent_id ?? null;
    }
    const domains = (this.db.prepare('SELECT domain FROM tenant_domains WHERE tenant_id = ?').all(row.tenant_id) as { domain: string }[]).map((r) => r.domain);
    const route = this.db.prepare('SELECT kind FROM routes WHERE value = ?');
    return {
      tenantId: row.tenant_id,
      chain,
      domains,
      // Any address mailroom receives for (of any tenant) sending to us is a loop.
      isOwnAddress: (address) => {
        const normalized = normalizeAddress(address);
        if (!normalized) return false;
        const exact = route.get(normalized) as { kind: string } | undefined;
        const byDomain = route.get(normalized.slice(normalized.lastIndexOf('@') + 1)) as { kind: string } | undefined;
        return exact?.kind === 'forward_address' || byDomain?.kind === 'reply_domain';
      },
    };
  }

  /**
   * Candidates of earlier messages of this tenant chain whose Message-ID the new
   * message names in In-Reply-To or References (newest reference first).
   */
  candidatesByThread(chain: readonly number[], messageIds: readonly string[]): { id: number; externalId: string; name: string }[] {
    const lookup = this.db.prepare(
      `SELECT c.id, c.external_id, c.name FROM messages m JOIN candidates c ON c.id = m.candidate_id WHERE m.tenant_id = ? AND m.message_id = ? LIMIT 1`,
    );
    for (const messageId of [...messageIds].reverse()) {
      for (const tenantId of chain) {
        const row = lookup.get(tenantId, messageId) as { id: number; external_id: string; name: string } | undefined;
        if (row) return [{ id: row.id, externalId: row.external_id, name: row.name }];
      }
    }
    return [];
  }

  candidatesFor(chain: readonly number[], address: string): { id: number; externalId: string; name: string }[] {
    return this.candidates.findByEmail(chain, address).map((c) => ({ id: c.id, externalId: c.externalId, name: c.name }));
  }
}
