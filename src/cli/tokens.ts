// mailroom tokens create|list|revoke: bearer tokens of the HTTP API, one tenant
// each (and its subcompanies), or a platform token for the whole installation.
// A token is shown once; only its hash is kept.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { ApiToken } from '../store/index.ts';
import { EVERY_TENANT } from '../operations/reach.ts';
import { createApiToken, createPlatformToken, listApiTokens, revokeApiToken } from '../operations/tokens.ts';
import { withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { printJson, printTable } from './output.ts';

function tokenJson(t: ApiToken): Record<string, unknown> {
  return {
    id: t.id,
    reach: t.reach,
    tenant: t.tenant,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}

/** make a token for a tenant, or a platform token; it is printed once */
const create = (globals: () => GlobalOptions) => (options: { tenant?: string; platform?: boolean; name: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    if (Boolean(options.platform) === (options.tenant !== undefined))
      throw new UsageError('give --tenant <slug> for a tenant token, or --platform for a platform token');
    const { token, info } = options.platform
      ? await createPlatformToken(ctx, EVERY_TENANT, options.name)
      : await createApiToken(ctx, EVERY_TENANT, { tenant: options.tenant as string, name: options.name });
    if (options.json) return printJson({ ...tokenJson(info), token });
    const whom = info.tenant ?? 'the platform (every tenant)';
    process.stdout.write(`token ${info.id} for ${whom} (shown only now): ${token}\nuse it as: Authorization: Bearer ${token}\n`);
  });

/** tokens (their prefix only), with when they were last used */
const list = (globals: () => GlobalOptions) => (options: { tenant?: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const list = await listApiTokens(ctx, EVERY_TENANT, options.tenant);
    if (options.json) return printJson(list.map(tokenJson));
    printTable(
      list,
      [
        { header: 'id', value: (t) => t.id },
        { header: 'tenant', value: (t) => t.tenant ?? '(platform)' },
        { header: 'name', value: (t) => t.name },
        { header: 'token', value: (t) => `${t.prefix}…` },
        { header: 'created', value: (t) => t.createdAt },
        { header: 'last used', value: (t) => t.lastUsedAt ?? 'never' },
        { header: 'revoked', value: (t) => t.revokedAt ?? '' },
      ],
      'no tokens: make one with `npx mailroom tokens create --tenant T`',
    );
  });

/** revoke a token at once */
const revoke = (globals: () => GlobalOptions) => (id: string) =>
  withContext(globals(), async (ctx) => {
    if (!/^\d+$/.test(id)) throw new UsageError(`no live token ${id} (see: npx mailroom tokens list)`);
    await revokeApiToken(ctx, EVERY_TENANT, Number(id));
    process.stdout.write(`revoked token ${id}\n`);
  });

export function registerTokenCommands(program: Command, globals: () => GlobalOptions): void {
  const tokens = program.command('tokens').description('bearer tokens of the HTTP API');

  tokens
    .command('create')
    .description('make a token for a tenant, or a platform token; it is printed once')
    .option('--tenant <slug>', 'the tenant it acts for (and its subcompanies)')
    .option('--platform', 'a platform token: manages tenants and acts in any tenant it names (guard it like the server itself)')
    .option('--name <name>', 'what it is for, e.g. the integration using it', 'api')
    .option('--json', 'print {"id", "token", ...}')
    .action(create(globals));

  tokens
    .command('list')
    .description('tokens (their prefix only), with when they were last used')
    .option('--tenant <slug>', 'only this tenant')
    .option('--json', 'print a JSON array')
    .action(list(globals));

  tokens.command('revoke <id>').description('revoke a token at once').action(revoke(globals));
}
