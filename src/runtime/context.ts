// createContext builds every dependency once: config, logger, clock, database and
// stores. Tests and benchmarks pass overrides (a silent logger, a fixed clock)
// instead of reaching into modules.
import { createResolver, type DnsResolver } from '../auth/resolver.ts';
import type { Config } from '../config/index.ts';
import { createLogger, type Logger } from '../log.ts';
import { loadKeyring, type Keyring } from '../secrets/keyring.ts';
import {
  AccountStore,
  CandidateStore,
  GaugeQueries,
  JobStore,
  MessageStore,
  openDatabase,
  OutboundStore,
  RawReader,
  TenantStore,
  WebhookStore,
  type Database,
} from '../store/index.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Context {
  config: Config;
  log: Logger;
  clock: Clock;
  db: Database;
  tenants: TenantStore;
  candidates: CandidateStore;
  messages: MessageStore;
  raw: RawReader;
  jobs: JobStore;
  accounts: AccountStore;
  outbound: OutboundStore;
  webhooks: WebhookStore;
  /** Counts and health read by /metrics and /readyz. */
  gauges: GaugeQueries;
  /** DNS (the system's, or the configured zone file): for checking where outbound connections would go. */
  resolver: DnsResolver;
  /** The keys that seal secrets; the key file is created on first use. */
  keyring(): Keyring;
  close(): void;
}

export interface ContextOverrides {
  log?: Logger;
  clock?: Clock;
  resolver?: DnsResolver;
}

export function createContext(config: Config, overrides: ContextOverrides = {}): Context {
  const log = overrides.log ?? createLogger(config.log.level);
  const clock = overrides.clock ?? systemClock;
  const db = openDatabase(config.data.dir, { maxSizeMb: config.data.maxSizeMb });
  let closed = false;
  let keyring: Keyring | null = null;
  let resolver: DnsResolver | null = null;
  return {
    config,
    log,
    clock,
    db,
    tenants: new TenantStore(db, () => clock.now()),
    candidates: new CandidateStore(db, () => clock.now()),
    messages: new MessageStore(db),
    raw: new RawReader(db, config.data.dir),
    jobs: new JobStore(db),
    accounts: new AccountStore(db),
    outbound: new OutboundStore(db),
    webhooks: new WebhookStore(db),
    gauges: new GaugeQueries(db),
    // Made on first use: a zone file is read only by the commands that look something up.
    resolver: overrides.resolver ?? ((name, rrtype) => (resolver ??= createResolver(config.dns))(name, rrtype)),
    keyring: () => (keyring ??= loadKeyring({ dataDir: config.data.dir, ...config.secret }, { create: true }) as Keyring),
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
