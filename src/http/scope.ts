// What a request may see: the API token's tenant and its subcompanies. Every
// lookup goes through here, and anything outside the scope is "not found"
// (never "forbidden": another tenant's ids are not even confirmed to exist).
import type { Context as AppContext } from '../runtime/context.ts';
import type { StoredMessage, Tenant } from '../store/index.ts';
import { notFound } from './problem.ts';

export interface Scope {
  tenantId: number;
  tenant: string;
  /** The tenant and its subcompanies, at any depth. */
  tenantIds: number[];
  tokenId: number;
}

export function scopeOf(ctx: AppContext, tenantId: number, tenant: string, tokenId: number): Scope {
  return { tenantId, tenant, tenantIds: ctx.tenants.subtreeIds(tenantId), tokenId };
}

/** The tenant a request names (a subcompany's slug), or the token's own. */
export function tenantIn(ctx: AppContext, scope: Scope, slug: string | undefined): Tenant {
  const tenant = ctx.tenants.get(slug ?? scope.tenant);
  if (!tenant || !scope.tenantIds.includes(tenant.id)) throw notFound(`no tenant "${slug}" for this token`);
  return tenant;
}

export function messageIn(ctx: AppContext, scope: Scope, id: string): StoredMessage {
  const message = ctx.messages.get(id);
  const tenant = message ? ctx.tenants.get(message.tenant) : null;
  if (!message || !tenant || !scope.tenantIds.includes(tenant.id)) throw notFound(`no message ${id}`);
  return message;
}

export const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
export const decodeCursor = (cursor: string | undefined): string | null => (cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : null);
