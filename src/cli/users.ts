// mailroom users add|list|reset|remove: people who sign in to the web console.
// A new user (or one who forgot the password) gets a one-time link, printed
// here, that sets the password; the password itself never passes through the
// command line.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { EVERY_TENANT } from '../operations/reach.ts';
import { addConsoleUser, removeConsoleUser, resetConsoleUser } from '../operations/users.ts';
import type { Context } from '../context.ts';
import type { ConsoleUser } from '../store/index.ts';
import { optionalTenant, withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { printJson, printTable } from './output.ts';

type Globals = () => GlobalOptions;

function setupUrl(ctx: Context, token: string): string {
  const base = ctx.config.http.publicUrl || `http://${ctx.config.http.host}:${ctx.config.http.port}`;
  return `${base.replace(/\/+$/, '')}/console/setup?token=${token}`;
}

function userId(id: string): number {
  if (!/^\d+$/.test(id)) throw new UsageError(`no console user ${id} (see: npx mailroom users list)`);
  return Number(id);
}

const userJson = (u: ConsoleUser) => ({ id: u.id, email: u.email, tenant: u.tenant, role: u.role, active: u.active, createdAt: u.createdAt });

/** users add: the one-time link to set the password, shown once. */
const add = (globals: Globals) => (options: { tenant?: string; email: string; role: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const { user, setupToken, expiresAt } = await addConsoleUser(ctx, EVERY_TENANT, options);
    const url = setupUrl(ctx, setupToken);
    if (options.json) return printJson({ ...userJson(user), setupUrl: url, expiresAt });
    process.stdout.write(
      `added ${user.role} ${user.email}${user.tenant ? ` for ${user.tenant}` : ''}; send them this link to set a password (until ${expiresAt}):\n${url}\n`,
    );
  });

const list = (globals: Globals) => (options: { tenant?: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const tenant = await optionalTenant(ctx, options.tenant);
    const users = await ctx.consoleUsers.list(tenant ? await ctx.tenants.subtreeIds(tenant.id) : undefined);
    if (options.json) return printJson(users.map(userJson));
    printTable(
      users,
      [
        { header: 'id', value: (u) => u.id },
        { header: 'email', value: (u) => u.email },
        { header: 'tenant', value: (u) => u.tenant ?? 'every tenant' },
        { header: 'role', value: (u) => u.role },
        { header: 'password', value: (u) => (u.active ? 'set' : 'link not used yet') },
      ],
      'no console users: add one with `npx mailroom users add --tenant T --email E --role recruiter`',
    );
  });

/** users reset: a new one-time link (a forgotten password). */
const reset = (globals: Globals) => (id: string) =>
  withContext(globals(), async (ctx) => {
    const { user, setupToken, expiresAt } = await resetConsoleUser(ctx, EVERY_TENANT, userId(id));
    process.stdout.write(`new link for ${user.email} (until ${expiresAt}); the old password works until it is used:\n${setupUrl(ctx, setupToken)}\n`);
  });

const remove = (globals: Globals) => (id: string) =>
  withContext(globals(), async (ctx) => {
    const user = await removeConsoleUser(ctx, EVERY_TENANT, userId(id));
    process.stdout.write(`removed console user ${user.email}; their sessions ended\n`);
  });

export function registerUserCommands(program: Command, globals: () => GlobalOptions): void {
  const users = program.command('users').description('people who sign in to the web console');
  users
    .command('add')
    .description('add a console user; prints the one-time link that sets their password')
    .option('--tenant <slug>', 'their tenant (a recruiter or admin sees it and its subcompanies)')
    .requiredOption('--email <address>', 'their email address (they sign in with it)')
    .option('--role <role>', 'recruiter, admin, or operator (every tenant; no --tenant)', 'recruiter')
    .option('--json', 'print the user and the link as JSON')
    .action(add(globals));
  users.command('list').description('console users').option('--tenant <slug>', 'only this tenant').option('--json', 'print a JSON array').action(list(globals));
  users.command('reset <id>').description('a new one-time link to set the password').action(reset(globals));
  users.command('remove <id>').description('remove a console user (their sessions end)').action(remove(globals));
}
