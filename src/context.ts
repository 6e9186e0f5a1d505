// createContext builds every dependency once: config, logger, clock, database and
// the repositories over it. Tests and benchmarks pass overrides (a silent logger, a fixed clock)
// instead of reaching into modules.
import { createResolver, type DnsResolver } from './dns/index.ts';
import type { Config } from './config/index.ts';
import { UsageError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { loadKeyring, type Keyring } from './secrets/keyring.ts';
import { openBackend, type Database, type PostgresListener, type Repositories } from './store/index.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Every repository (the storage boundary), and what the code around it needs. */
export interface Context extends Repositories {
  config: Config;
  log: Logger;
  clock: Clock;
  /**
   * The connection under the repositories: for the server's start (threads open
   * their own) and for tests that look at rows. Application code goes through
   * the repositories (a lint rule keeps it so).
   */
  db: Database;
  /** Which storage the context runs on. */
  backend: 'sqlite' | 'postgres';
  /** PostgreSQL's notifications (routes changed, work committed on any node); null on SQLite. */
  notifications: PostgresListener | null;
  /** DNS (the system's, or the configured zone file): for checking where outbound connections would go. */
  resolver: DnsResolver;
  /** The keys that seal secrets; the key file is created on first use. */
  keyring(): Keyring;
  close(): Promise<void>;
}

/** With PostgreSQL every node seals and opens the same secrets: a key file of one node's own would not do. */
export const SHARED_KEY_NEEDED =
  'with PostgreSQL (database.url) every node needs the same secret key from the environment: set MAILROOM_SECRET_KEY (32 bytes as base64 or hex, e.g. from `openssl rand -base64 32`) on every node';

export interface ContextOverrides {
  log?: Logger;
  clock?: Clock;
  resolver?: DnsResolver;
}

/** Opens the storage the configuration names (SQLite, or PostgreSQL with database.url) and everything around it. */
export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<Context> {
  const log = overrides.log ?? createLogger(config.log.level);
  const clock = overrides.clock ?? systemClock;
  const backend = await openBackend({
    dataDir: config.data.dir,
    maxSizeMb: config.data.maxSizeMb,
    databaseUrl: config.database.url,
    poolSize: config.database.poolSize,
    now: () => clock.now(),
  });
  let closed = false;
  let keyring: Keyring | null = null;
  let resolver: DnsResolver | null = null;
  return {
    config,
    log,
    clock,
    get db(): Database {
      if (!backend.sqlite) throw new Error('this context runs on PostgreSQL: there is no SQLite connection');
      return backend.sqlite;
    },
    backend: backend.kind,
    notifications: backend.listener,
    ...backend.repositories,
    // Made on first use: a zone file is read only by the commands that look something up.
    resolver: overrides.resolver ?? ((name, rrtype) => (resolver ??= createResolver(config.dns))(name, rrtype)),
    keyring: () => {
      if (backend.kind === 'postgres' && !config.secret.key) throw new UsageError(SHARED_KEY_NEEDED);
      return (keyring ??= loadKeyring({ dataDir: config.data.dir, ...config.secret }, { create: true }) as Keyring);
    },
    async close() {
      if (closed) return;
      closed = true;
      await backend.close();
    },
  };
}
