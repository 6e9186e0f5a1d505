// mailroom tenants add|update|remove|list|show|check: companies and
// subcompanies, the addresses mailroom receives for them, and the check of
// their set-up.
import type { Command } from 'commander';
import { EVERY_TENANT } from '../operations/reach.ts';
import { addTenant, checkTenantSetup, removeTenant, updateTenant } from '../operations/tenants.ts';
import type { TenantChange } from '../store/index.ts';
import { tenantNamed, withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { printFields, printJson, printTable } from './output.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface AddOptions {
  domain: string[];
  replyDomain: string[];
  forwardAddress: string[];
  inbox: string[];
  parent?: string;
  name?: string;
  json?: boolean;
}

/** add a tenant with its domain(s), reply domains and forwarding addresses */
const add = (globals: () => GlobalOptions) => (slug: string, options: AddOptions) =>
  withContext(globals(), async (ctx) => {
    const tenant = await addTenant(ctx, EVERY_TENANT, {
      slug,
      domains: options.domain,
      replyDomains: options.replyDomain,
      forwardAddresses: options.forwardAddress,
      inboxes: options.inbox,
      ...(options.parent ? { parent: options.parent } : {}),
      ...(options.name ? { name: options.name } : {}),
    });
    if (options.json) printJson(tenant);
    else process.stdout.write(`added tenant ${tenant.slug}; it receives mail for: ${receives(tenant)}\n`);
  });

/** What mail a tenant receives, in a line. */
const receives = (t: { replyDomains: string[]; forwardAddresses: string[] }): string =>
  [...t.replyDomains.map((d) => `*@${d}`), ...t.forwardAddresses].join(', ') || '(nothing yet)';

/** change a tenant: each list given replaces that list */
const update = (globals: () => GlobalOptions) => (slug: string, options: Omit<AddOptions, 'parent'>, command: Command) =>
  withContext(globals(), async (ctx) => {
    // A list is replaced only when its flag was given (commander's default [] would otherwise empty it).
    const given = (name: string) => command.getOptionValueSource(name) === 'cli';
    const change: TenantChange = {
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(given('domain') ? { domains: options.domain } : {}),
      ...(given('replyDomain') ? { replyDomains: options.replyDomain } : {}),
      ...(given('forwardAddress') ? { forwardAddresses: options.forwardAddress } : {}),
      ...(given('inbox') ? { inboxes: options.inbox } : {}),
    };
    const tenant = await updateTenant(ctx, EVERY_TENANT, slug, change);
    if (options.json) printJson(tenant);
    else process.stdout.write(`updated tenant ${tenant.slug}; it receives mail for: ${receives(tenant)}\n`);
  });

/** remove a tenant (refused while it has messages or subcompanies, unless --purge) */
const remove = (globals: () => GlobalOptions) => (slug: string, options: { purge?: boolean; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const removed = await removeTenant(ctx, EVERY_TENANT, slug, { purge: options.purge === true });
    if (options.json) return printJson(removed);
    process.stdout.write(`removed tenant ${removed.tenants.join(', ')}${options.purge ? ` and ${removed.messages} message(s)` : ''}\n`);
  });

/** list tenants */
const list = (globals: () => GlobalOptions) => (options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const list = await ctx.tenants.list();
    if (options.json) return printJson(list);
    printTable(
      list,
      [
        { header: 'slug', value: (t) => t.slug },
        { header: 'name', value: (t) => t.name },
        { header: 'parent', value: (t) => t.parent ?? '' },
        { header: 'domains', value: (t) => t.domains.join(' ') },
        { header: 'reply domains', value: (t) => t.replyDomains.join(' ') },
        { header: 'forwarding addresses', value: (t) => t.forwardAddresses.join(' ') },
      ],
      'no tenants yet: add one with `npx mailroom tenants add <slug> --domain D --reply-domain R`',
    );
  });

/** show one tenant */
const show = (globals: () => GlobalOptions) => (slug: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const tenant = await tenantNamed(ctx, slug);
    if (options.json) return printJson(tenant);
    printFields([
      ['slug', tenant.slug],
      ['name', tenant.name],
      ['parent', tenant.parent],
      ['created', tenant.createdAt],
      ['domains', tenant.domains.join(', ')],
      ['reply domains', tenant.replyDomains.join(', ')],
      ['forwarding addresses', tenant.forwardAddresses.join(', ')],
      ['company inboxes', tenant.inboxes.join(', ')],
    ]);
  });

/** check a customer's set-up: reply domains' MX, sending domains' SPF/DKIM/DMARC, accounts, forwarding; says what to change */
const check = (globals: () => GlobalOptions) => (slug: string, options: { sendTests?: boolean; inbox: string[]; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const showProgress = process.stderr.isTTY && !options.json;
    const { tenant, report } = await checkTenantSetup(ctx, EVERY_TENANT, slug, {
      sendTests: options.sendTests === true,
      inboxes: options.inbox,
      progress: showProgress ? (line) => process.stderr.write(`checking ${line}...\n`) : () => undefined,
    });
    if (!report.ok) process.exitCode = 1;
    if (options.json) return printJson(report);
    const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
    for (const c of report.checks) {
      process.stdout.write(`${mark[c.status]}  ${c.subject}: ${c.check}\n      found: ${c.found}\n`);
      if (c.advice) process.stdout.write(`      to do: ${c.advice}\n`);
    }
    process.stdout.write(`\n${report.summary.ok} ok, ${report.summary.warn} warnings, ${report.summary.fail} failures\n\n`);
    printTable(
      report.accounts,
      [
        { header: 'id', value: (a) => a.id },
        { header: 'name', value: (a) => a.name },
        { header: 'created', value: (a) => a.created.slice(0, 10) },
        { header: 'owner', value: (a) => a.owner },
        { header: 'sending method', value: (a) => a.sendingMethod },
        { header: 'connection status', value: (a) => a.status },
        { header: 'last test', value: (a) => a.lastTest ?? 'never' },
      ],
      `no email account is set up for ${tenant.slug}`,
    );
  });

export function registerTenantCommands(program: Command, globals: () => GlobalOptions): void {
  const tenants = program.command('tenants').description('companies and subcompanies, and the addresses mailroom receives for them');

  tenants
    .command('add <slug>')
    .description('add a tenant with its domain(s), reply domains and forwarding addresses')
    .option('--domain <domain>', "the company's own domain (repeatable)", collect, [])
    .option('--reply-domain <domain>', 'a reply subdomain whose MX is mailroom: any local part is accepted (repeatable)', collect, [])
    .option('--forward-address <address>', 'an address a company inbox forwards to (repeatable)', collect, [])
    .option(
      '--inbox <address>',
      'a company inbox that forwards to a forwarding address, e.g. jobs@acme.com (repeatable; `tenants check --send-tests` tests it)',
      collect,
      [],
    )
    .option('--parent <slug>', 'make this a subcompany of another tenant')
    .option('--name <name>', 'display name')
    .option('--json', 'print the tenant as JSON')
    .action(add(globals));

  tenants
    .command('update <slug>')
    .description('change a tenant: each list given replaces that list (new addresses are received at once)')
    .option('--domain <domain>', "the company's own domain (repeatable)", collect, [])
    .option('--reply-domain <domain>', 'a reply subdomain whose MX is mailroom (repeatable)', collect, [])
    .option('--forward-address <address>', 'an address a company inbox forwards to (repeatable)', collect, [])
    .option('--inbox <address>', 'a company inbox that forwards to a forwarding address (repeatable)', collect, [])
    .option('--name <name>', 'display name')
    .option('--json', 'print the tenant as JSON')
    .action(update(globals));

  tenants
    .command('remove <slug>')
    .description('remove a tenant with its routes, candidates, accounts and tokens (refused while it has messages or subcompanies)')
    .option('--purge', 'also delete its messages (rows, raw bytes, attachments) and its subcompanies')
    .option('--json', 'print what was removed as JSON')
    .action(remove(globals));

  tenants.command('list').description('list tenants').option('--json', 'print a JSON array').action(list(globals));

  tenants.command('show <slug>').description('show one tenant').option('--json', 'print a JSON object').action(show(globals));

  tenants
    .command('check <slug>')
    .description("check a customer's set-up: reply domains' MX, sending domains' SPF/DKIM/DMARC, accounts, forwarding; says what to change")
    .option('--send-tests', 'also send a forwarding test to each company inbox and wait for it to arrive (needs `npx mailroom serve` running)')
    .option('--inbox <address>', "a company inbox to test (repeatable; default: the tenant's --inbox addresses)", collect, [])
    .option('--json', 'print the report as JSON')
    .action(check(globals));
}
