// API bearer tokens: `mrt_` + 32 random bytes in base32, shown once when made;
// only their SHA-256 is stored. A tenant token acts for one tenant and its
// subcompanies; a platform token (no tenant) for the whole installation.
import { createHash, randomBytes } from 'node:crypto';
import type { Sql, SqlStatement } from './sql/sql.ts';

export type TokenReach = 'tenant' | 'platform';

export interface ApiToken {
  id: number;
  reach: TokenReach;
  /** The tenant a tenant token acts for; null for a platform token. */
  tenantId: number | null;
  tenant: string | null;
  name: string;
  /** The first characters, to recognise a token without revealing it. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface TokenRow {
  id: number;
  reach: TokenReach;
  tenant_id: number | null;
  tenant: string | null;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const SELECT =
  'SELECT k.id, k.reach, k.tenant_id, t.slug AS tenant, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at FROM api_tokens k LEFT JOIN tenants t ON t.id = k.tenant_id';

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class ApiTokenStore {
  private readonly sql: Sql;
  private readonly byHash: SqlStatement<[string], TokenRow>;
  private readonly touch: SqlStatement<[string, number, string]>;

  constructor(sql: Sql) {
    this.sql = sql;
    this.byHash = sql.prepare(`${SELECT} WHERE k.token_hash = ? AND k.revoked_at IS NULL`);
    // At most once a minute per token: a busy client does not turn every read into a write.
    this.touch = sql.prepare(`UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`);
  }

  /** Makes a token for a tenant, or (null) a platform token; the plain token is returned this once. */
  async create(tenantId: number | null, name: string, at: string): Promise<{ token: string; info: ApiToken }> {
    const bytes = randomBytes(32);
    let token = 'mrt_';
    for (const byte of bytes) token += ALPHABET[byte & 31];
    const id = Number(
      (
        (await this.sql
          .prepare('INSERT INTO api_tokens (tenant_id, reach, name, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
          .get(tenantId, tenantId === null ? 'platform' : 'tenant', name, hash(token), token.slice(0, 10), at)) as { id: number }
      ).id,
    );
    return { token, info: (await this.get(id)) as ApiToken };
  }

  async get(id: number): Promise<ApiToken | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE k.id = ?`).get(id)) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  /** Every token, or a tenant's (null: the platform tokens). */
  async list(tenantId?: number | null): Promise<ApiToken[]> {
    const rows =
      tenantId === undefined
        ? await this.sql.prepare(`${SELECT} ORDER BY k.id`).all()
        : tenantId === null
          ? await this.sql.prepare(`${SELECT} WHERE k.tenant_id IS NULL ORDER BY k.id`).all()
          : await this.sql.prepare(`${SELECT} WHERE k.tenant_id = ? ORDER BY k.id`).all(tenantId);
    return (rows as TokenRow[]).map(toToken);
  }

  async revoke(id: number, at: string): Promise<boolean> {
    return (await this.sql.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id)).changes > 0;
  }

  /** The live token with this value, or null. */
  async authenticate(token: string, at: string): Promise<ApiToken | null> {
    if (!/^mrt_[a-z2-7]{32}$/.test(token)) return null;
    const row = await this.byHash.get(hash(token));
    if (!row) return null;
    await this.touch.run(at, row.id, new Date(Date.parse(at) - 60_000).toISOString());
    return toToken(row);
  }
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    reach: row.reach,
    tenantId: row.tenant_id,
    tenant: row.tenant,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
