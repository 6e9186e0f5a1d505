// The set-up checklist of the user's own tenant: `tenants check` as a list with
// what to do, run in the background (the forwarding test takes minutes).
import type { Hono } from 'hono';
import { checkTenantSetup } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { field, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { checklistPage, page, type Finding } from '../pages.ts';

/** The last check of each tenant: shown until the next one. */
type Checks = Map<string, { running: boolean; sendTests: boolean; progress: string; findings: Finding[] | null }>;

export function checklistRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  const checks: Checks = new Map();
  app.use('/checklist', tenantAdminOnly);
  app.get('/checklist', showChecklist(checks));
  app.post('/checklist', runChecks(ctx, checks));
}

async function tenantAdminOnly(c: ConsoleContext, next: () => Promise<void>): Promise<Response | void> {
  const { user } = c.get('signedIn');
  if (user.role === 'recruiter' || user.tenant === null) return c.html(page('Not allowed', "The checklist is for a tenant's administrators.", user), 403);
  await next();
}

const showChecklist = (checks: Checks) => (c: ConsoleContext) => {
  const { user, csrf } = c.get('signedIn');
  const state = checks.get(user.tenant as string);
  return c.html(checklistPage(user, csrf, user.tenant as string, state?.findings ?? null, state?.running ? state : null));
};

const runChecks = (ctx: Context, checks: Checks) => async (c: ConsoleContext) => {
  const { user, reach } = c.get('signedIn');
  const tenant = user.tenant as string;
  const sendTests = field(await c.req.parseBody(), 'sendTests') === '1';
  if (checks.get(tenant)?.running !== true) {
    const state = { running: true, sendTests, progress: 'starting', findings: null as Finding[] | null };
    checks.set(tenant, state);
    void checkTenantSetup(ctx, reach, tenant, { sendTests, inboxes: [], progress: (line) => (state.progress = line) })
      .then(({ report }) => (state.findings = report.checks))
      .catch((err: Error) => (state.findings = [{ status: 'fail', subject: tenant, check: 'the check itself', found: err.message, advice: 'see the log' }]))
      .finally(() => (state.running = false));
  }
  return c.redirect('/console/checklist', 303);
};
