// The storage boundary: every repository over one connection, built once by
// whoever owns the connection (createContext, a thread's entry), and the one way
// to make several repositories' writes a single transaction.
//
// `Repositories` is what the operations, the interfaces, the relay, the webhook
// dispatcher, the inbox intake and the pipeline's lookups use: every call
// answers with a promise, so a networked backend (PostgreSQL) implements the
// same interface and none of them changes. `SqliteRepositories` is the same set
// answering synchronously: for SQLite's own write path (commit/: the store
// thread's group commit, where one transaction spans many callers' work).
import { AccountStore } from './accounts.ts';
import { ApiTokenStore } from './api-tokens.ts';
import { CandidateStore } from './candidates.ts';
import { ConsoleUserStore } from './console-users.ts';
import { ConversationStore } from './conversations.ts';
import type { Database } from './database.ts';
import { EventStore } from './events.ts';
import { GaugeQueries } from './gauges.ts';
import { InboxStore } from './inboxes.ts';
import { JobStore } from './jobs.ts';
import { MatchLookups } from './match-lookups.ts';
import { MessageStore } from './messages.ts';
import { OutboundStore } from './outbound.ts';
import { RawReader } from './raw.ts';
import { RetentionStore } from './retention.ts';
import { SealedSecrets } from './sealed.ts';
import { SentCopyStore } from './sent-copies.ts';
import { TenantStore } from './tenants.ts';
import { ReplyTokenSource, TokenKeyStore } from './token-keys.ts';
import { WebhookStore } from './webhooks.ts';
import type { Keyring } from '../secrets/keyring.ts';
import { promised, TransactionGate, type Promised } from './promised.ts';

/** RCPT's questions, answered from memory. */
export type RouteTable = Pick<TenantStore, 'routeFor' | 'servesDomain'>;

export interface Repositories {
  tenants: Promised<TenantStore>;
  candidates: Promised<CandidateStore>;
  conversations: Promised<ConversationStore>;
  messages: Promised<MessageStore>;
  raw: Promised<RawReader>;
  jobs: Promised<JobStore>;
  accounts: Promised<AccountStore>;
  outbound: Promised<OutboundStore>;
  /** Copies of sent messages on their way to the Sent folder. */
  sentCopies: Promised<SentCopyStore>;
  /** Company mailboxes read over IMAP, and what was read from them. */
  inboxes: Promised<InboxStore>;
  /** People who sign in to the web console, and their sessions. */
  consoleUsers: Promised<ConsoleUserStore>;
  events: Promised<EventStore>;
  webhooks: Promised<WebhookStore>;
  apiTokens: Promised<ApiTokenStore>;
  tokenKeys: Promised<TokenKeyStore>;
  sealed: Promised<SealedSecrets>;
  retention: Promised<RetentionStore>;
  /** Counts and health read by /metrics, /readyz and `stats`. */
  gauges: Promised<GaugeQueries>;
  /**
   * Answers SMTP's RCPT from memory (never a round trip per recipient), kept
   * fresh by the backend: SQLite compares a generation counter a trigger bumps.
   */
  routes: RouteTable;
  /**
   * Runs `work` as one transaction: every write it makes through `tx` lands
   * together or not at all, and nobody sees it before. Nested calls join the
   * outer transaction. SQLite: BEGIN IMMEDIATE on this connection, other
   * callers' calls wait until it ends; a networked backend gives `work` a
   * connection of its own, which is why `work` must use `tx`, not the outer object.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
}

export interface SqliteRepositories {
  tenants: TenantStore;
  candidates: CandidateStore;
  conversations: ConversationStore;
  messages: MessageStore;
  raw: RawReader;
  jobs: JobStore;
  accounts: AccountStore;
  outbound: OutboundStore;
  /** Copies of sent messages on their way to the Sent folder. */
  sentCopies: SentCopyStore;
  /** Company mailboxes read over IMAP, and what was read from them. */
  inboxes: InboxStore;
  /** People who sign in to the web console, and their sessions. */
  consoleUsers: ConsoleUserStore;
  events: EventStore;
  webhooks: WebhookStore;
  apiTokens: ApiTokenStore;
  tokenKeys: TokenKeyStore;
  sealed: SealedSecrets;
  retention: RetentionStore;
  /** Counts and health read by /metrics, /readyz and `stats`. */
  gauges: GaugeQueries;
  /**
   * Runs `work` as one transaction (SQLite: BEGIN IMMEDIATE): every write it
   * makes through `tx` lands together or not at all. Nested calls join the
   * outer transaction.
   */
  transaction<T>(work: (tx: SqliteRepositories) => T): T;
}

export interface RepositoryOptions {
  /** Where raw spool files and attachments live (the data directory). */
  dataDir: string;
  /** The clock for the timestamps repositories write themselves. */
  now: () => Date;
}

/** The synchronous set, for SQLite's own write path (commit/) and the tests that look at rows. */
export function createSqliteRepositories(db: Database, options: RepositoryOptions): SqliteRepositories {
  const tenants = new TenantStore(db, options.now);
  const repositories: SqliteRepositories = {
    tenants,
    candidates: new CandidateStore(db, options.now),
    conversations: new ConversationStore(db),
    messages: new MessageStore(db),
    raw: new RawReader(db, options.dataDir),
    jobs: new JobStore(db),
    accounts: new AccountStore(db),
    outbound: new OutboundStore(db),
    sentCopies: new SentCopyStore(db),
    inboxes: new InboxStore(db),
    consoleUsers: new ConsoleUserStore(db),
    events: new EventStore(db),
    webhooks: new WebhookStore(db),
    apiTokens: new ApiTokenStore(db),
    tokenKeys: new TokenKeyStore(db),
    sealed: new SealedSecrets(db),
    retention: new RetentionStore(db, options.dataDir),
    gauges: new GaugeQueries(db),
    transaction: (work) => db.transaction(() => work(repositories)).immediate(),
  };
  return repositories;
}

/** The storage boundary over a SQLite connection: promises, and transactions that own the connection while they run. */
export function createRepositories(db: Database, options: RepositoryOptions): Repositories {
  const sync = createSqliteRepositories(db, options);
  const gate = TransactionGate.of(db);
  const wrap = <T extends object>(repository: T): Promised<T> => promised(repository, gate);
  const repositories: Repositories = {
    tenants: wrap(sync.tenants),
    candidates: wrap(sync.candidates),
    conversations: wrap(sync.conversations),
    messages: wrap(sync.messages),
    raw: wrap(sync.raw),
    jobs: wrap(sync.jobs),
    accounts: wrap(sync.accounts),
    outbound: wrap(sync.outbound),
    sentCopies: wrap(sync.sentCopies),
    inboxes: wrap(sync.inboxes),
    consoleUsers: wrap(sync.consoleUsers),
    events: wrap(sync.events),
    webhooks: wrap(sync.webhooks),
    apiTokens: wrap(sync.apiTokens),
    tokenKeys: wrap(sync.tokenKeys),
    sealed: wrap(sync.sealed),
    retention: wrap(sync.retention),
    gauges: wrap(sync.gauges),
    routes: sync.tenants,
    transaction: (work) => gate.run(() => work(repositories)),
  };
  return repositories;
}

/** What the pipeline reads, over a read-only connection of its own: raw messages, and what matching looks up (reply tokens included). */
export function createPipelineSources(
  db: Database,
  dataDir: string,
  keyring: () => Keyring | null,
): { raw: Promised<RawReader>; match: Promised<MatchLookups> } {
  const tokens = new ReplyTokenSource(db, keyring);
  // Read-only: no transaction of ours can be open on it, so no gate.
  return { raw: promised(new RawReader(db, dataDir), null), match: promised(new MatchLookups(db, () => tokens.current()), null) };
}
