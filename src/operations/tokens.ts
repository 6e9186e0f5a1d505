// Bearer tokens of the HTTP API: one per tenant (reaching its subcompanies too),
// shown once when made; only a hash is kept.
import { NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { ApiToken } from '../store/index.ts';
import { reaches, tenantWithin, type Reach } from './reach.ts';

/** Makes a token for the tenant; the token itself is returned only here. */
export async function createApiToken(ctx: Context, reach: Reach, request: { tenant: string; name: string }): Promise<{ token: string; info: ApiToken }> {
  const tenant = await tenantWithin(ctx, reach, request.tenant);
  return await ctx.apiTokens.create(tenant.id, request.name, ctx.clock.now().toISOString());
}

/** The tokens within reach (of one tenant when named), by prefix only. */
export async function listApiTokens(ctx: Context, reach: Reach, tenant?: string): Promise<ApiToken[]> {
  const only = tenant ? (await tenantWithin(ctx, reach, tenant)).id : undefined;
  return (await ctx.apiTokens.list(only)).filter((t) => reaches(reach, t.tenantId));
}

/** Revokes a live token at once. */
export async function revokeApiToken(ctx: Context, reach: Reach, id: number): Promise<void> {
  const token = (await ctx.apiTokens.list()).find((t) => t.id === id && t.revokedAt === null && reaches(reach, t.tenantId));
  if (!token || !(await ctx.apiTokens.revoke(id, ctx.clock.now().toISOString()))) throw new NotFoundError(`no live token ${id}`, 'token');
}
