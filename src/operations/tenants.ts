// Setting a customer up: a tenant (or a subcompany under one) with the
// addresses mailroom receives for it, changes to it, its removal (with its data
// when asked), and the check of everything around it (DNS, accounts,
// forwarding) with what to change.
import { randomBytes } from 'node:crypto';
import type { CheckOptions, CheckReport } from '../checks/index.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import { RouteTakenError, TenantError, type NewTenant, type Tenant, type TenantChange, type TenantCheck } from '../store/index.ts';
import { isOperator } from './mail-servers.ts';
import { reaches, tenantWithin, type Reach } from './reach.ts';

/** An address taken by a tenant out of the caller's reach is said to be taken, not by whom: another tenant is not even confirmed to exist. */
async function routesChecked<T>(reach: Reach, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (err) {
    if (err instanceof RouteTakenError && !reaches(reach, err.ownerId)) throw new TenantError(`${err.value} is already routed to another tenant`);
    throw err;
  }
}

/** Adds a tenant; a caller limited to some tenants may add subcompanies under them only. */
export async function addTenant(ctx: Context, reach: Reach, input: NewTenant): Promise<Tenant> {
  if (reach.tenantIds !== 'all') {
    if (!input.parent) throw new ForbiddenError('only an operator adds a top-level tenant; name a parent to add a subcompany', 'parent');
    await tenantWithin(ctx, reach, input.parent);
  }
  return await routesChecked(reach, () => ctx.tenants.add(input));
}

/** A page of the tenants within reach, by slug after `after`. */
export async function listTenants(ctx: Context, reach: Reach, page: { after: string | null; limit: number }): Promise<Tenant[]> {
  return await ctx.tenants.page(page.after, page.limit, reach.tenantIds === 'all' ? undefined : reach.tenantIds);
}

/** Changes a tenant within reach: each list given replaces that list; new routes are taken by every listener at once. */
export async function updateTenant(ctx: Context, reach: Reach, slug: string, change: TenantChange): Promise<Tenant> {
  const tenant = await tenantWithin(ctx, reach, slug);
  return await routesChecked(reach, () => ctx.tenants.update(tenant.slug, change));
}

/**
 * Removes a tenant. Refused while it has messages or subcompanies, unless
 * `purge`: then its messages (rows, raw bytes, attachment files) and its
 * subcompanies go with it. A caller limited to some tenants removes only
 * subcompanies whose parent it reaches, never a top-level tenant or its own.
 */
export async function removeTenant(ctx: Context, reach: Reach, slug: string, options: { purge: boolean }): Promise<{ tenants: string[]; messages: number }> {
  const tenant = await tenantWithin(ctx, reach, slug);
  if (reach.tenantIds !== 'all') {
    const parent = tenant.parent ? await ctx.tenants.get(tenant.parent) : null;
    if (!parent || !reach.tenantIds.includes(parent.id))
      throw new ForbiddenError('only an operator removes a top-level tenant or the one a token belongs to', 'tenant');
  }
  const ids = await ctx.tenants.subtreeIds(tenant.id);
  const slugs = await Promise.all(ids.map((id) => ctx.tenants.slugOf(id)));
  if (!options.purge) {
    if (ids.length > 1) throw new ConflictError(`${tenant.slug} has subcompanies (${slugs.slice(1).join(', ')}): remove them first, or purge`);
    if (await ctx.tenants.hasMessages(ids)) throw new ConflictError(`${tenant.slug} has received messages: purge removes them with the tenant`);
  }
  // Mail stops first, so little can arrive while the messages go (what does refuses the removal: run it again).
  if (options.purge) await ctx.tenants.closeRoutes(ids);
  const messages = options.purge ? await ctx.retention.dropMessagesOf(ids, ctx.clock.now()) : 0;
  await ctx.tenants.remove(ids);
  return { tenants: slugs, messages };
}

/** The tenant's set-up checked (with forwarding tests sent when asked), each finding with what to do. */
export async function checkTenantSetup(ctx: Context, reach: Reach, slug: string, options: CheckOptions): Promise<{ tenant: Tenant; report: CheckReport }> {
  const tenant = await tenantWithin(ctx, reach, slug);
  // Loaded when asked (mailauth, nodemailer): `mailroom serve` shares the CLI's module graph.
  const { checkTenant } = await import('../checks/run.ts');
  // Someone else's server's words are the operator's to see only.
  return { tenant, report: await checkTenant(ctx, tenant, { ...options, redact: !isOperator(reach) }) };
}

/** Time a background check may take beyond its forwarding tests' own wait, before a poll calls it lost. */
const CHECK_MARGIN_MS = 5 * 60_000;

/**
 * Starts the tenant check in the background (the forwarding test waits for
 * mail): its state is kept in the database, so a poll on any node answers it.
 */
export async function startTenantCheck(ctx: Context, reach: Reach, slug: string, options: Omit<CheckOptions, 'progress'>): Promise<TenantCheck> {
  const tenant = await tenantWithin(ctx, reach, slug);
  const id = `chk_${randomBytes(12).toString('hex')}`;
  const now = ctx.clock.now();
  const waits = Math.max(1, options.inboxes.length || tenant.inboxes.length);
  const deadline = new Date(now.getTime() + waits * ctx.config.checks.forwardingTimeoutMs + CHECK_MARGIN_MS);
  // Its forwarding tests send mail and wait minutes for it: one at a time per tenant, so a token cannot pile them up.
  const running = await ctx.tenantChecks.startAlone(id, tenant.id, now.toISOString(), deadline.toISOString());
  if (running)
    throw new ConflictError(
      `a check of ${tenant.slug} with forwarding tests is still running: poll /v1/tenants/${tenant.slug}/checks/${running} until it is done`,
    );
  const finish = (outcome: { report: string } | { error: string }) => ctx.tenantChecks.finish(id, outcome, ctx.clock.now().toISOString());
  void checkTenantSetup(ctx, reach, slug, { ...options, progress: () => undefined })
    .then(({ report }) => finish({ report: JSON.stringify(report) }))
    .catch(async (err: unknown) => {
      ctx.log.error({ err, tenant: slug, check: id }, 'tenant check failed');
      await finish({ error: 'the check failed on the server; the log has the details' });
    })
    .catch((err: unknown) => ctx.log.error({ err, check: id }, 'tenant check result could not be stored'));
  return (await ctx.tenantChecks.get(id)) as TenantCheck;
}

/** A background check of a tenant within reach; one still running past its deadline was lost with the node that ran it. */
export async function tenantCheckWithin(ctx: Context, reach: Reach, slug: string, id: string): Promise<TenantCheck> {
  const tenant = await tenantWithin(ctx, reach, slug);
  const check = await ctx.tenantChecks.get(id);
  if (!check || check.tenantId !== tenant.id) throw new NotFoundError(`no check ${id} of ${tenant.slug}`, 'check');
  if (check.state === 'running' && Date.parse(check.deadlineAt) < ctx.clock.now().getTime()) {
    return { ...check, state: 'failed', error: 'the check did not finish in time (the node running it may have stopped): start it again' };
  }
  return check;
}
