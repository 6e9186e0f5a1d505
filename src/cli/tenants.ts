// mailroom tenants add|list|show
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { TenantError, type Tenant } from '../store/index.ts';
import { withContext, type GlobalOptions } from './context.ts';
import { printFields, printJson, printTable } from './output.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface AddOptions {
  domain: string[];
  replyDomain: string[];
  forwardAddress: string[];
  parent?: string;
  name?: string;
  json?: boolean;
}

export function registerTenantCommands(program: Command, globals: () => GlobalOptions): void {
  const tenants = program.command('tenants').description('companies and subcompanies, and the addresses mailroom receives for them');

  tenants
    .command('add <slug>')
    .description('add a tenant with its domain(s), reply domains and forwarding addresses')
    .option('--domain <domain>', "the company's own domain (repeatable)", collect, [])
    .option('--reply-domain <domain>', 'a reply subdomain whose MX is mailroom: any local part is accepted (repeatable)', collect, [])
    .option('--forward-address <address>', 'an address a company inbox forwards to (repeatable)', collect, [])
    .option('--parent <slug>', 'make this a subcompany of another tenant')
    .option('--name <name>', 'display name')
    .option('--json', 'print the tenant as JSON')
    .action((slug: string, options: AddOptions) =>
      withContext(globals(), (ctx) => {
        let tenant: Tenant;
        try {
          tenant = ctx.tenants.add({
            slug,
            domains: options.domain,
            replyDomains: options.replyDomain,
            forwardAddresses: options.forwardAddress,
            ...(options.parent ? { parent: options.parent } : {}),
            ...(options.name ? { name: options.name } : {}),
          });
        } catch (err) {
          if (err instanceof TenantError) throw new UsageError(err.message);
          throw err;
        }
        if (options.json) printJson(tenant);
        else process.stdout.write(`added tenant ${tenant.slug}; it receives mail for: ${[...tenant.replyDomains.map((d) => `*@${d}`), ...tenant.forwardAddresses].join(', ') || '(nothing yet)'}\n`);
      }),
    );

  tenants
    .command('list')
    .description('list tenants')
    .option('--json', 'print a JSON array')
    .action((options: { json?: boolean }) =>
      withContext(globals(), (ctx) => {
        const list = ctx.tenants.list();
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
          'no tenants yet: add one with `mailroom tenants add <slug> --domain D --reply-domain R`',
        );
      }),
    );

  tenants
    .command('show <slug>')
    .description('show one tenant')
    .option('--json', 'print a JSON object')
    .action((slug: string, options: { json?: boolean }) =>
      withContext(globals(), (ctx) => {
        const tenant = ctx.tenants.get(slug);
        if (!tenant) throw new UsageError(`no tenant "${slug}" (see: mailroom tenants list)`);
        if (options.json) return printJson(tenant);
        printFields([
          ['slug', tenant.slug],
          ['name', tenant.name],
          ['parent', tenant.parent],
          ['created', tenant.createdAt],
          ['domains', tenant.domains.join(', ')],
          ['reply domains', tenant.replyDomains.join(', ')],
          ['forwarding addresses', tenant.forwardAddresses.join(', ')],
        ]);
      }),
    );
}
