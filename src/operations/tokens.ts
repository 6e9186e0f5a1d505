// Bearer tokens of the HTTP API: a tenant token reaches its tenant and its
// subcompanies; a platform token (made only at the command line) reaches every
// tenant and mints and revokes tenant tokens over the API. A token is shown
// once when made; only a hash is kept.
import { ForbiddenError, NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { ApiToken } from '../store/index.ts';
import { tenantWithin, type Reach } from './reach.ts';

/** Whether the caller reaches this token: a platform token only when it reaches every tenant. */
const reachesToken = (reach: Reach, token: ApiToken): boolean =>
  reach.tenantIds === 'all' || (token.tenantId !== null && reach.tenantIds.includes(token.tenantId));

/** Over the API, tokens are minted and revoked by a platform token only: a leaked tenant token cannot make itself more. */
export function requirePlatform(reach: Reach, what: string): void {
  if (reach.tenantIds !== 'all') throw new ForbiddenError(`only a platform token ${what}`, 'token');
}

/** Makes a token for the tenant; the token itself is returned only here. */
export async function createApiToken(ctx: Context, reach: Reach, request: { tenant: string; name: string }): Promise<{ token: string; info: ApiToken }> {
  const tenant = await tenantWithin(ctx, reach, request.tenant);
  return await ctx.apiTokens.create(tenant.id, request.name, ctx.clock.now().toISOString());
}

/** Makes a platform token (every tenant, and the tenants themselves); only a caller that reaches every tenant may. */
export async function createPlatformToken(ctx: Context, reach: Reach, name: string): Promise<{ token: string; info: ApiToken }> {
  if (reach.tenantIds !== 'all') throw new ForbiddenError('only an operator makes a platform token', 'token');
  return await ctx.apiTokens.create(null, name, ctx.clock.now().toISOString());
}

/** The tokens within reach (of one tenant when named), by prefix only. */
export async function listApiTokens(ctx: Context, reach: Reach, tenant?: string): Promise<ApiToken[]> {
  const only = tenant ? (await tenantWithin(ctx, reach, tenant)).id : undefined;
  return (await ctx.apiTokens.list(only)).filter((t) => reachesToken(reach, t));
}

/** Revokes a live token at once; of the named tenant only, when one is named. */
export async function revokeApiToken(ctx: Context, reach: Reach, id: number, tenant?: string): Promise<void> {
  const only = tenant ? (await tenantWithin(ctx, reach, tenant)).id : undefined;
  const token = await ctx.apiTokens.get(id);
  const found = token && token.revokedAt === null && reachesToken(reach, token) && (only === undefined || token.tenantId === only);
  if (!found || !(await ctx.apiTokens.revoke(id, ctx.clock.now().toISOString()))) throw new NotFoundError(`no live token ${id}`, 'token');
}
