// What a request may see: a tenant token's tenant and its subcompanies, or
// every tenant for a platform token (the caller's reach, as operations/reach.ts
// defines it), and the page cursors.
import { tenantWithin } from '../../operations/index.ts';
import { InvalidError } from '../../errors.ts';
import type { Context as AppContext } from '../../context.ts';
import type { ApiToken, Tenant } from '../../store/index.ts';

export interface Scope {
  /** The token's own tenant; null for a platform token, which names the tenant it acts in. */
  tenantId: number | null;
  tenant: string | null;
  /** The tenant and its subcompanies at any depth, or every tenant (a platform token). */
  tenantIds: number[] | 'all';
  tokenId: number;
}

export async function scopeOf(ctx: AppContext, token: ApiToken): Promise<Scope> {
  if (token.tenantId === null) return { tenantId: null, tenant: null, tenantIds: 'all', tokenId: token.id };
  return { tenantId: token.tenantId, tenant: token.tenant, tenantIds: await ctx.tenants.subtreeIds(token.tenantId), tokenId: token.id };
}

/** The slug a request names (`?tenant=`, a `tenant` field), or the token's own; a platform token must name one. */
export function tenantNamed(scope: Scope, slug: string | undefined): string {
  const named = slug ?? scope.tenant;
  if (named === null) throw new InvalidError('a platform token acts inside a tenant it names: give ?tenant= or a "tenant" field', 'tenant');
  return named;
}

/** The tenant a request names (a subcompany's slug, any tenant's for a platform token), or the token's own. */
export async function tenantIn(ctx: AppContext, scope: Scope, slug: string | undefined): Promise<Tenant> {
  return await tenantWithin(ctx, scope, tenantNamed(scope, slug));
}

/** The tenant ids a list is limited to; undefined for a platform token (every tenant). */
export const listedIds = (scope: Scope): number[] | undefined => (scope.tenantIds === 'all' ? undefined : scope.tenantIds);

export const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
export const decodeCursor = (cursor: string | undefined): string | null => (cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : null);
