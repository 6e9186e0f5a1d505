// How CLI commands get at the store: load the config (file + env, --config wins)
// and open the database; logs go to stderr so stdout stays clean for --json.
import { pino } from 'pino';
import { loadConfig, type Config } from '../config/index.ts';
import { createContext, type Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { createLogger } from '../log.ts';
import type { Tenant } from '../store/index.ts';

export interface GlobalOptions {
  config?: string;
}

export function loadCliConfig(options: GlobalOptions): Config {
  return loadConfig(options.config ? { file: options.config } : {});
}

/** Opens the store for one command, runs it, and closes the store whatever happens. */
export async function withContext<T>(options: GlobalOptions, run: (ctx: Context) => T | Promise<T>): Promise<T> {
  const config = loadCliConfig(options);
  const log = createLogger(config.log.level === 'silent' ? 'silent' : 'warn', pino.destination({ fd: 2, sync: true }));
  const ctx = await createContext(config, { log });
  try {
    return await run(ctx);
  } finally {
    await ctx.close();
  }
}

/** The tenant a command names, or an operator error saying how to find the right slug. */
export async function tenantNamed(ctx: Context, slug: string): Promise<Tenant> {
  const tenant = await ctx.tenants.get(slug);
  if (!tenant) throw new UsageError(`no tenant "${slug}" (see: mailroom tenants list)`);
  return tenant;
}

/** For a `--tenant` filter: the tenant when one is named (it must exist), else null. */
export async function optionalTenant(ctx: Context, slug: string | undefined): Promise<Tenant | null> {
  return slug === undefined ? null : await tenantNamed(ctx, slug);
}
