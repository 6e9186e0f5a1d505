// The storage boundary: every repository over one Sql (store/sql/: SQLite or
// PostgreSQL), built once by whoever owns the connection (createContext, a
// thread's entry), and the one way to make several repositories' writes a
// single transaction. Every call answers with a promise; the operations, the
// interfaces, the relay, the webhook dispatcher, the inbox intake, the pipeline
// and the store thread's group commit all use this one set.
import type { Database } from 'better-sqlite3';
import { AccountStore } from './accounts.ts';
import { AttachmentStore } from './attachments.ts';
import { ApiTokenStore } from './api-tokens.ts';
import { CandidateStore } from './candidates.ts';
import { ConsoleUserStore } from './console-users.ts';
import { OAuthSignInStore } from './oauth-sign-ins.ts';
import { ConversationStore } from './conversations.ts';
import { EventStore } from './events.ts';
import { GaugeQueries } from './gauges.ts';
import { IdempotencyStore } from './idempotency.ts';
import { InboxStore } from './inboxes.ts';
import { JobStore } from './jobs.ts';
import { MatchLookups } from './match-lookups.ts';
import { MessageStore } from './messages.ts';
import { OutboundStore } from './outbound.ts';
import { RawReader } from './raw.ts';
import { RetentionStore } from './retention.ts';
import { SqliteRouteTable, type RouteTable } from './routes.ts';
import { SealedSecrets } from './sealed.ts';
import { SentCopyStore } from './sent-copies.ts';
import type { Sql } from './sql/sql.ts';
import { SqliteSql } from './sqlite/driver.ts';
import { TenantCheckStore } from './tenant-checks.ts';
import { TenantStore } from './tenants.ts';
import { ReplyTokenSource, TokenKeyStore } from './token-keys.ts';
import { WebhookStore } from './webhooks.ts';
import type { Keyring } from '../secrets/keyring.ts';

export type { RouteTable };

export interface Repositories {
  tenants: TenantStore;
  candidates: CandidateStore;
  conversations: ConversationStore;
  messages: MessageStore;
  raw: RawReader;
  /** Attachment bytes: this node's files, and on PostgreSQL the table every node reads. */
  attachments: AttachmentStore;
  jobs: JobStore;
  accounts: AccountStore;
  outbound: OutboundStore;
  /** Copies of sent messages on their way to the Sent folder. */
  sentCopies: SentCopyStore;
  /** Company mailboxes read over IMAP, and what was read from them. */
  inboxes: InboxStore;
  /** People who sign in to the web console, and their sessions. */
  consoleUsers: ConsoleUserStore;
  oauthSignIns: OAuthSignInStore;
  events: EventStore;
  webhooks: WebhookStore;
  apiTokens: ApiTokenStore;
  /** Idempotency-Keys of the API's creates and the answers given. */
  idempotency: IdempotencyStore;
  /** Tenant checks run in the background, polled on any node. */
  tenantChecks: TenantCheckStore;
  tokenKeys: TokenKeyStore;
  sealed: SealedSecrets;
  retention: RetentionStore;
  /** Counts and health read by /metrics, /readyz and `stats`. */
  gauges: GaugeQueries;
  /** Answers SMTP's RCPT from memory (never a round trip per recipient), kept fresh by the backend. */
  routes: RouteTable;
  /** The seam under every repository: its dialect, and its transactions. */
  sql: Sql;
  /**
   * Runs `work` as one transaction: every write it makes through the
   * repositories (followed through its awaits) lands together or not at all,
   * and nobody sees it before. A transaction inside one is a savepoint.
   * `tx` is this same set, for the reader's sake.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
}

export interface RepositoryOptions {
  /** Where raw spool files and attachments live (the data directory). */
  dataDir: string;
  /** The clock for the timestamps repositories write themselves. */
  now: () => Date;
}

/** Every repository over one Sql. */
export function repositoriesOver(sql: Sql, routes: RouteTable, options: RepositoryOptions): Repositories {
  const repositories: Repositories = {
    tenants: new TenantStore(sql, options.now, () => routes.refresh()),
    candidates: new CandidateStore(sql, options.now),
    conversations: new ConversationStore(sql),
    messages: new MessageStore(sql),
    raw: new RawReader(sql, options.dataDir),
    attachments: new AttachmentStore(sql, options.dataDir),
    jobs: new JobStore(sql),
    accounts: new AccountStore(sql),
    outbound: new OutboundStore(sql),
    sentCopies: new SentCopyStore(sql),
    inboxes: new InboxStore(sql),
    consoleUsers: new ConsoleUserStore(sql),
    oauthSignIns: new OAuthSignInStore(sql),
    events: new EventStore(sql),
    webhooks: new WebhookStore(sql),
    apiTokens: new ApiTokenStore(sql),
    idempotency: new IdempotencyStore(sql),
    tenantChecks: new TenantCheckStore(sql),
    tokenKeys: new TokenKeyStore(sql),
    sealed: new SealedSecrets(sql),
    retention: new RetentionStore(sql, options.dataDir),
    gauges: new GaugeQueries(sql),
    routes,
    sql,
    transaction: (work) => sql.transaction(() => work(repositories)),
  };
  return repositories;
}

/** The storage boundary over a SQLite connection. */
export function createRepositories(db: Database, options: RepositoryOptions): Repositories {
  return repositoriesOver(SqliteSql.of(db), new SqliteRouteTable(db, options.now), options);
}

/** What the pipeline reads, over a read-only connection of its own: raw messages, and what matching looks up (reply tokens included). */
export function createPipelineSources(sql: Sql, dataDir: string, keyring: () => Keyring | null): { raw: RawReader; match: MatchLookups } {
  const tokens = new ReplyTokenSource(sql, keyring);
  return { raw: new RawReader(sql, dataDir), match: new MatchLookups(sql, () => tokens.current()) };
}
