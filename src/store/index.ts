// Storage: one repository per table group, written once over the Sql seam
// (sql/sql.ts) and bundled by repositories.ts (the storage boundary). Each
// backend is a room of its own with its driver, its numbered migrations and
// what only it needs: sqlite/ (one database file under the data directory,
// WAL, synchronous=FULL) and postgres/ (a pool, migrations under an advisory
// lock, routes followed with LISTEN/NOTIFY, the copy from SQLite). backend.ts
// opens the one the configuration names. All SQL lives in this folder, and
// nothing here imports a view or an interface. How writes reach the database
// in the server (group commit, the store thread, the job queue) is commit/'s
// business.
export {
  openBackend,
  announceWork,
  describeDatabase,
  databaseStatus,
  migrateDatabase,
  type Backend,
  type BackendSettings,
  type DatabaseStatus,
} from './backend.ts';
export { openThreadStorage, type ThreadStorage, type ThreadStorageSettings } from './thread-storage.ts';
export { CHANNELS, PostgresListener, type Channel } from './postgres/listener.ts';
export { migratePostgres, postgresMigrationStatus, type MigrationStatus } from './postgres/migrate.ts';
export { copySqliteToPostgres, COPY_ORDER, type TableCopy } from './postgres/copy.ts';
export { openDatabase, databasePath, databaseFileBytes, type Database } from './sqlite/database.ts';
export { migrate, migrations } from './sqlite/migrations.ts';
export {
  TenantStore,
  TenantError,
  RouteTakenError,
  normalizeAddress,
  normalizeDomain,
  type Tenant,
  type NewTenant,
  type TenantChange,
  type Route,
} from './tenants.ts';
export {
  MessageStore,
  PIPELINE_JOB,
  sourceOf,
  type ImapOrigin,
  type Envelope,
  type NewMessage,
  type StoredMessage,
  type ProcessedMessage,
  type ProcessedRow,
  type AuthSummary,
  type AttachmentSummary,
  type ClassificationSummary,
  type DecisionSummary,
  type MessageStatus,
} from './messages.ts';
export { JobStore, type Job, type JobState } from './jobs.ts';
export { newMessageId, unguessableMessageId } from './ids.ts';
export { AttachmentStore, type AttachmentLocation } from './attachments.ts';
export { RawReader, ensureSpoolDir, spoolFileFor, spoolUsage, syncSpoolDir } from './raw.ts';
export { CandidateStore, CandidateError, type BatchUpsertResult, type Candidate, type CandidateInput } from './candidates.ts';
export { MatchLookups, type TenantView } from './match-lookups.ts';
export { ConversationStore, conversationSubject, type Conversation, type ConversationPlacement } from './conversations.ts';
export { TokenKeyStore, ReplyTokenSource, type TokenKeyInfo } from './token-keys.ts';
export {
  AccountStore,
  openAccountSecret,
  type Account,
  type AccountSettings,
  type NewAccount,
  type AccountSecret,
  type AccountStatus,
  type SentCopySettings,
} from './accounts.ts';
export {
  OutboundStore,
  type OutboundBounce,
  type OutboundFailure,
  type OutboundFailureCause,
  type OutboundMessage,
  type NewOutbound,
  type OutboundStatus,
} from './outbound.ts';
export { EventStore, EVENT_TYPES, type EventType, type EventPayload } from './events.ts';
export { WebhookStore, type Webhook, type DueDelivery, type WebhookDelivery } from './webhooks.ts';
export { ApiTokenStore, type ApiToken, type TokenReach } from './api-tokens.ts';
export { IdempotencyStore, IDEMPOTENCY_HOURS, type IdempotencyClaim } from './idempotency.ts';
export { TenantCheckStore, type TenantCheck, type TenantCheckState } from './tenant-checks.ts';
export { RetentionStore, RECENT_MS, type PurgeReport, type PurgeOptions } from './retention.ts';
export { GaugeQueries, type CountedTable } from './gauges.ts';
export { SealedSecrets } from './sealed.ts';
export { SentCopyStore, type SentCopy, type SentCopyState, type DueSentCopy } from './sent-copies.ts';
export { InboxStore, type Inbox, type InboxImport, type InboxSecurity, type InboxStatus, type NewInbox } from './inboxes.ts';
export { OAuthSignInStore, type StoredSignIn } from './oauth-sign-ins.ts';
export { ConsoleUserStore, type ConsoleRole, type ConsoleSession, type ConsoleUser } from './console-users.ts';
export { createRepositories, repositoriesOver, createPipelineSources, type Repositories, type RepositoryOptions, type RouteTable } from './repositories.ts';
export { SqliteRouteTable, ROUTE_RECHECK_MS, type RouteAnswer } from './routes.ts';
export { SqliteSql } from './sqlite/driver.ts';
export { PostgresSql } from './postgres/driver.ts';
export { placeholders, type Sql, type SqlStatement, type Dialect } from './sql/sql.ts';
export { storable } from './storable-text.ts';
