// The storage boundary: every repository over one connection, built once by
// whoever owns the connection (createContext, a thread's entry), and the one way
// to make several repositories' writes a single transaction.
//
// Repository calls are synchronous here because SQLite answers in microseconds on
// the caller's thread. A networked backend (PostgreSQL) implements the same
// shapes with promises: the operations layer (src/operations) is already async
// and reaches storage only through this object, so the change stays behind it.
// `transaction` hands its work the repositories to use inside it, so such a
// backend can give the work a connection of its own for the transaction.
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

export interface Repositories {
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
  transaction<T>(work: (tx: Repositories) => T): T;
}

export interface RepositoryOptions {
  /** Where raw spool files and attachments live (the data directory). */
  dataDir: string;
  /** The clock for the timestamps repositories write themselves. */
  now: () => Date;
}

export function createRepositories(db: Database, options: RepositoryOptions): Repositories {
  const repositories: Repositories = {
    tenants: new TenantStore(db, options.now),
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

/** What the pipeline reads, over a read-only connection of its own: raw messages, and what matching looks up (reply tokens included). */
export function createPipelineSources(db: Database, dataDir: string, keyring: () => Keyring | null): { raw: RawReader; match: MatchLookups } {
  const tokens = new ReplyTokenSource(db, keyring);
  return { raw: new RawReader(db, dataDir), match: new MatchLookups(db, () => tokens.current()) };
}
