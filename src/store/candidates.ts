// Candidates per tenant: the ATS's external id, a name, any number of email
// addresses (two candidates may share one). Addresses are kept normalized so
// the sender lookup in matching is one indexed equality.
import type { Sql, SqlStatement } from './sql/sql.ts';
import { InvalidError } from '../errors.ts';
import { normalizeAddress } from './tenants.ts';

export interface Candidate {
  id: number;
  tenant: string;
  externalId: string;
  name: string;
  emails: string[];
  /** Addresses a hard bounce marked: mail to them does not arrive. */
  bouncing: { email: string; since: string; reason: string | null }[];
  createdAt: string;
  updatedAt: string;
}

export interface CandidateInput {
  externalId: string;
  name: string;
  emails: string[];
}

/** What a batch of upserts did: counts, and each rejected row with why. */
export interface BatchUpsertResult {
  created: number;
  updated: number;
  rejected: { index: number; externalId: string; reason: string }[];
}

/** A candidate that cannot be stored as given (a bad address, a missing name...): an invalid input to whoever asked. */
export class CandidateError extends InvalidError {
  override name = 'CandidateError';
}

interface CandidateRow {
  id: number;
  tenant: string;
  external_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

const SELECT = `SELECT c.id, t.slug AS tenant, c.external_id, c.name, c.created_at, c.updated_at FROM candidates c JOIN tenants t ON t.id = c.tenant_id`;

export class CandidateStore {
  private readonly sql: Sql;
  private readonly now: () => Date;
  // Prepared once: the matching stage looks candidates up for every message.
  private readonly byEmail: SqlStatement<[number, string], CandidateRow>;
  private readonly emailsOf: SqlStatement<[number], { email: string; bouncing_at: string | null; bounce_reason: string | null }>;

  constructor(sql: Sql, now: () => Date) {
    this.sql = sql;
    this.now = now;
    this.sql = sql;
    this.byEmail = sql.prepare(`${SELECT} JOIN candidate_emails e ON e.candidate_id = c.id WHERE e.tenant_id = ? AND e.email = ? ORDER BY c.id`);
    this.emailsOf = sql.prepare('SELECT email, bouncing_at, bounce_reason FROM candidate_emails WHERE candidate_id = ? ORDER BY email');
  }

  private async tenantId(slug: string): Promise<number> {
    const row = (await this.sql.prepare('SELECT id FROM tenants WHERE slug = ?').get(slug.toLowerCase())) as { id: number } | undefined;
    if (!row) throw new CandidateError(`no tenant "${slug}" (see: mailroom tenants list)`);
    return row.id;
  }

  /** Checks and normalizes one candidate; throws CandidateError saying what is wrong. */
  static validate(input: CandidateInput): CandidateInput {
    const externalId = input.externalId.trim();
    if (!externalId) throw new CandidateError('an external id is required');
    const name = input.name.trim();
    if (!name) throw new CandidateError(`candidate ${externalId}: a name is required`);
    if (input.emails.length === 0) throw new CandidateError(`candidate ${externalId}: at least one email address is required`);
    const emails = [...new Set(input.emails.map((e) => normalizeAddress(e) ?? fail(`candidate ${externalId}: "${e}" is not an email address`)))];
    return { externalId, name, emails };
  }

  /** Creates or replaces (by external id) a candidate; says which it was. */
  async upsert(tenant: string, input: CandidateInput): Promise<{ candidate: Candidate; created: boolean }> {
    const valid = CandidateStore.validate(input);
    const tenantId = await this.tenantId(tenant);
    const at = this.now().toISOString();
    const created = await this.sql.transaction(async () => this.write(tenantId, valid, at));
    return { candidate: (await this.get(tenant, valid.externalId)) as Candidate, created };
  }

  /**
   * Many at once, in one transaction (a sync's chunk): each row is validated and
   * written or rejected with the reason; nothing is read back.
   */
  async upsertBatch(tenant: string, rows: readonly CandidateInput[]): Promise<BatchUpsertResult> {
    const tenantId = await this.tenantId(tenant);
    const at = this.now().toISOString();
    const result: BatchUpsertResult = { created: 0, updated: 0, rejected: [] };
    await this.sql.transaction(async () => {
      for (const [index, row] of rows.entries()) {
        try {
          if (await this.write(tenantId, CandidateStore.validate(row), at)) result.created++;
          else result.updated++;
        } catch (err) {
          if (!(err instanceof CandidateError)) throw err;
          result.rejected.push({ index, externalId: row.externalId, reason: err.message });
        }
      }
    });
    return result;
  }

  /** Writes one validated candidate inside the caller's transaction; true when it was new. */
  private async write(tenantId: number, valid: CandidateInput, at: string): Promise<boolean> {
    const existing = (await this.sql.prepare('SELECT id FROM candidates WHERE tenant_id = ? AND external_id = ?').get(tenantId, valid.externalId)) as
      { id: number } | undefined;
    let id: number;
    if (existing) {
      id = existing.id;
      await this.sql.prepare('UPDATE candidates SET name = ?, search_text = ?, updated_at = ? WHERE id = ?').run(valid.name, searchText(valid), at, id);
      // Addresses that stay keep their bounce marks; the rest go.
      const keep = (await this.sql.prepare('SELECT email FROM candidate_emails WHERE candidate_id = ?').all(id)) as { email: string }[];
      const drop = this.sql.prepare('DELETE FROM candidate_emails WHERE candidate_id = ? AND email = ?');
      for (const { email } of keep) if (!valid.emails.includes(email)) await drop.run(id, email);
    } else {
      id = Number(
        (
          (await this.sql
            .prepare('INSERT INTO candidates (tenant_id, external_id, name, search_text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
            .get(tenantId, valid.externalId, valid.name, searchText(valid), at, at)) as { id: number }
        ).id,
      );
    }
    const addEmail = this.sql.prepare('INSERT INTO candidate_emails (candidate_id, tenant_id, email) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    for (const email of valid.emails) await addEmail.run(id, tenantId, email);
    return !existing;
  }

  async get(tenant: string, externalId: string): Promise<Candidate | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE t.slug = ? AND c.external_id = ?`).get(tenant.toLowerCase(), externalId)) as CandidateRow | undefined;
    return row ? await this.hydrate(row) : null;
  }

  async byId(id: number): Promise<Candidate | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE c.id = ?`).get(id)) as CandidateRow | undefined;
    return row ? await this.hydrate(row) : null;
  }

  /** Every candidate with this external id, in whichever tenant. */
  async withExternalId(externalId: string): Promise<Candidate[]> {
    const rows = (await this.sql.prepare(`${SELECT} WHERE c.external_id = ? ORDER BY t.slug`).all(externalId)) as CandidateRow[];
    return Promise.all(rows.map((row) => this.hydrate(row)));
  }

  async list(tenant: string, limit = 1000): Promise<Candidate[]> {
    const tenantId = await this.tenantId(tenant);
    const rows = (await this.sql.prepare(`${SELECT} WHERE c.tenant_id = ? ORDER BY c.external_id LIMIT ?`).all(tenantId, limit)) as CandidateRow[];
    return Promise.all(rows.map((row) => this.hydrate(row)));
  }

  /** One page of a tenant's candidates by external id, after the previous page's last one. */
  async page(tenantId: number, after: string | null, limit: number): Promise<Candidate[]> {
    const rows = (await this.sql
      .prepare(`${SELECT} WHERE c.tenant_id = ? AND c.external_id > ? ORDER BY c.external_id LIMIT ?`)
      .all(tenantId, after ?? '', limit)) as CandidateRow[];
    return Promise.all(rows.map((row) => this.hydrate(row)));
  }

  /**
   * A tenant's candidates whose name, address or external id contains every
   * word of `query` (any case), an exact external id first, then names that
   * start with it: what a person types to find someone. At most `limit`.
   */
  async search(tenantId: number, query: string, limit = 10): Promise<Candidate[]> {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 4);
    if (words.length === 0) return [];
    // One lower-case column (name, external id, addresses) read once per candidate: a scan, but a narrow one.
    const escape = (w: string): string => w.replace(/[%_\\]/g, (ch) => `\\${ch}`);
    const where = words.map(() => `c.search_text LIKE ? ESCAPE '\\'`).join(' AND ');
    const whole = query.trim().toLowerCase();
    const rows = (await this.sql
      .prepare(
        `${SELECT} WHERE c.tenant_id = ? AND ${where}
         ORDER BY CASE WHEN lower(c.external_id) = ? THEN 0 WHEN c.search_text LIKE ? ESCAPE '\\' THEN 1 ELSE 2 END, c.name, c.id LIMIT ?`,
      )
      .all(tenantId, ...words.map((w) => `%${escape(w)}%`), whole, `${escape(whole)}%`, limit)) as CandidateRow[];
    return Promise.all(rows.map((row) => this.hydrate(row)));
  }

  async remove(tenant: string, externalId: string): Promise<boolean> {
    return (await this.sql.prepare('DELETE FROM candidates WHERE tenant_id = ? AND external_id = ?').run(await this.tenantId(tenant), externalId)).changes > 0;
  }

  /** Candidates of these tenants (in order: the tenant, then its parent) with this address; the first tenant that has any wins. */
  async findByEmail(tenantIds: readonly number[], email: string): Promise<Candidate[]> {
    const normalized = normalizeAddress(email);
    if (!normalized) return [];
    for (const tenantId of tenantIds) {
      const rows = await this.byEmail.all(tenantId, normalized);
      if (rows.length > 0) return Promise.all(rows.map((row) => this.hydrate(row)));
    }
    return [];
  }

  /** Marks a candidate's address as bouncing (a hard bounce reported it); returns whether it was one of theirs. */
  async markBouncing(candidateId: number, email: string, reason: string | null, at: string): Promise<boolean> {
    const normalized = normalizeAddress(email);
    if (!normalized) return false;
    return (
      (
        await this.sql
          .prepare('UPDATE candidate_emails SET bouncing_at = ?, bounce_reason = ? WHERE candidate_id = ? AND email = ?')
          .run(at, reason, candidateId, normalized)
      ).changes > 0
    );
  }

  private async hydrate(row: CandidateRow): Promise<Candidate> {
    const rows = await this.emailsOf.all(row.id);
    const emails = rows.map((r) => r.email);
    const bouncing = rows.filter((r) => r.bouncing_at !== null).map((r) => ({ email: r.email, since: r.bouncing_at as string, reason: r.bounce_reason }));
    return {
      id: row.id,
      tenant: row.tenant,
      externalId: row.external_id,
      name: row.name,
      emails,
      bouncing,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}

function fail(message: string): never {
  throw new CandidateError(message);
}

/** What the candidate search reads of a candidate. */
function searchText(c: CandidateInput): string {
  return `${c.name} ${c.externalId} ${c.emails.join(' ')}`.toLowerCase();
}
