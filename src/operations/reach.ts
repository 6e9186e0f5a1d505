// Who is asking decides what exists: an operator at the command line reaches
// every tenant; an API token or a console user reaches one tenant and its
// subcompanies. Anything out of reach is "not found", never "forbidden": another
// tenant's ids are not even confirmed to exist.
import { NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { Account, StoredMessage, Tenant } from '../store/index.ts';

export interface Reach {
  /** The tenants this caller may see and change, or every tenant. */
  tenantIds: readonly number[] | 'all';
  /**
   * The operator at the command line (or the server itself): may point an
   * account or inbox at a server on a private network. Reaching every tenant
   * is not enough (a console operator or a platform token is a caller over
   * the network, held to the public-hosts rule like anyone else).
   */
  operator?: boolean;
}

/** The operator at the command line (or the server itself). */
export const EVERY_TENANT: Reach = { tenantIds: 'all', operator: true };

/** A caller over the network who sees every tenant (a console operator): not the command line. */
export const ALL_TENANTS: Reach = { tenantIds: 'all' };

export function reaches(reach: Reach, tenantId: number): boolean {
  return reach.tenantIds === 'all' || reach.tenantIds.includes(tenantId);
}

/** Every tenant the caller reaches. */
export async function tenantsWithin(ctx: Context, reach: Reach): Promise<Tenant[]> {
  return (await ctx.tenants.list()).filter((t) => reaches(reach, t.id));
}

export async function tenantWithin(ctx: Context, reach: Reach, slug: string): Promise<Tenant> {
  const tenant = await ctx.tenants.get(slug);
  if (!tenant || !reaches(reach, tenant.id)) throw new NotFoundError(`no tenant "${slug}"`, 'tenant');
  return tenant;
}

export async function messageWithin(ctx: Context, reach: Reach, id: string): Promise<StoredMessage> {
  const message = await ctx.messages.get(id);
  const tenantId = message ? await ctx.messages.tenantOf(message.id) : null;
  if (!message || tenantId === null || !reaches(reach, tenantId)) throw new NotFoundError(`no message ${id}`, 'message');
  return message;
}

export async function accountWithin(ctx: Context, reach: Reach, id: number): Promise<Account> {
  const account = await ctx.accounts.get(id);
  if (!account || !reaches(reach, account.tenantId)) throw new NotFoundError(`no account ${id}`, 'account');
  return account;
}
