// What a request may see: the API token's tenant and its subcompanies (the
// caller's reach, as operations/reach.ts defines it), and the page cursors.
import { tenantWithin } from '../../operations/index.ts';
import type { Context as AppContext } from '../../context.ts';
import type { Tenant } from '../../store/index.ts';

export interface Scope {
  tenantId: number;
  tenant: string;
  /** The tenant and its subcompanies, at any depth. */
  tenantIds: number[];
  tokenId: number;
}

export async function scopeOf(ctx: AppContext, tenantId: number, tenant: string, tokenId: number): Promise<Scope> {
  return { tenantId, tenant, tenantIds: await ctx.tenants.subtreeIds(tenantId), tokenId };
}

/** The tenant a request names (a subcompany's slug), or the token's own. */
export async function tenantIn(ctx: AppContext, scope: Scope, slug: string | undefined): Promise<Tenant> {
  return await tenantWithin(ctx, scope, slug ?? scope.tenant);
}

export const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
export const decodeCursor = (cursor: string | undefined): string | null => (cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : null);
