// Setting a customer up: a tenant (or a subcompany under one) with the
// addresses mailroom receives for it, and the check of everything around it
// (DNS, accounts, forwarding) with what to change.
import type { CheckOptions, CheckReport } from '../checks/index.ts';
import { ForbiddenError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { NewTenant, Tenant } from '../store/index.ts';
import { isOperator } from './mail-servers.ts';
import { tenantWithin, type Reach } from './reach.ts';

/** Adds a tenant; a caller limited to some tenants may add subcompanies under them only. */
export async function addTenant(ctx: Context, reach: Reach, input: NewTenant): Promise<Tenant> {
  if (reach.tenantIds !== 'all') {
    if (!input.parent) throw new ForbiddenError('only an operator adds a top-level tenant; name a parent to add a subcompany', 'parent');
    await tenantWithin(ctx, reach, input.parent);
  }
  return await ctx.tenants.add(input);
}

/** The tenant's set-up checked (with forwarding tests sent when asked), each finding with what to do. */
export async function checkTenantSetup(ctx: Context, reach: Reach, slug: string, options: CheckOptions): Promise<{ tenant: Tenant; report: CheckReport }> {
  const tenant = await tenantWithin(ctx, reach, slug);
  // Loaded when asked (mailauth, nodemailer): `mailroom serve` shares the CLI's module graph.
  const { checkTenant } = await import('../checks/run.ts');
  // Someone else's server's words are the operator's to see only.
  return { tenant, report: await checkTenant(ctx, tenant, { ...options, redact: !isOperator(reach) }) };
}
