// How CLI commands get at the store: load the config (file + env, --config wins)
// and open the database; logs go to stderr so stdout stays clean for --json.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '../config/index.ts';
import { createContext, type Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { databasePath, type Tenant } from '../store/index.ts';
import { dataDirSetting, type GlobalOptions } from './globals.ts';

export function loadCliConfig(options: GlobalOptions): Config {
  const config = loadConfig(options.config ? { file: options.config } : {});
  return options.dataDir ? { ...config, data: { ...config.data, dir: options.dataDir } } : config;
}

/** Opens the store for one command, runs it, and closes the store whatever happens. */
export async function withContext<T>(options: GlobalOptions, run: (ctx: Context) => T | Promise<T>): Promise<T> {
  const config = loadCliConfig(options);
  if (options.readOnly && !config.database.url && !existsSync(databasePath(config.data.dir))) {
    throw new UsageError(
      `no mailroom data in ${resolve(config.data.dir)} (${dataDirSetting(options)}): start the server with \`npx mailroom serve\` or pass --data-dir / set data.dir`,
    );
  }
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
  if (!tenant) throw new UsageError(`no tenant "${slug}" (see: npx mailroom tenants list)`);
  return tenant;
}

/** For a `--tenant` filter: the tenant when one is named (it must exist), else null. */
export async function optionalTenant(ctx: Context, slug: string | undefined): Promise<Tenant | null> {
  return slug === undefined ? null : await tenantNamed(ctx, slug);
}
