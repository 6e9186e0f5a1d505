// Operations: what a person or the platform can ask mailroom to do, once, for
// every interface (the CLI, the HTTP API, the web console). Each takes the
// context, the caller's reach (which tenants it may see) and plain input; each
// checks its rules and throws domain errors (errors.ts) that every interface
// words its own way: the CLI names its flags, the API answers problem types.
// Reads that are a single repository call stay with the caller.
export { EVERY_TENANT, reaches, tenantsWithin, tenantWithin, messageWithin, accountWithin, type Reach } from './reach.ts';
export {
  assignMessage,
  dismissMessage,
  reprocessMessages,
  searchCandidates,
  undoFiling,
  nextWaiting,
  waitingCount,
  UNDO_SECONDS,
  type Assignment,
  type ReprocessRequest,
} from './messages.ts';
export { sendMessage, type SendRequest } from './outbound.ts';
export {
  addAccount,
  listAccounts,
  makeDefaultAccount,
  removeAccount,
  sendAccountTestEmail,
  testAccount,
  type AccountInput,
  type SentCopyInput,
} from './accounts.ts';
export { importCandidates, removeCandidate, upsertCandidate, IMPORT_CHUNK, type CandidateChunkWriter, type ImportRequest } from './candidates.ts';
export { addTenant, checkTenantSetup } from './tenants.ts';
export { createApiToken, listApiTokens, revokeApiToken } from './tokens.ts';
export { addWebhook, enableWebhook, removeWebhook, replayDelivery, replayWebhooks, rotateWebhookSecret, webhookDeliveries, webhookWithin } from './webhooks.ts';
export { addInbox, inboxWithin, removeInbox, testInbox, INBOX_PROVIDERS, type InboxInput, type InboxProvider } from './inboxes.ts';
export { addReplyTokenKey, listKeys, removeReplyTokenKey, rotateSecretKey, type KeyReport } from './keys.ts';
export { purgeRawMessages, type PurgeRequest } from './retention.ts';
export {
  addConsoleUser,
  completeSetup,
  consoleUserWithin,
  removeConsoleUser,
  resetConsoleUser,
  sessionOf,
  setupUser,
  signIn,
  signOut,
  SESSION_HOURS,
  type SignedIn,
} from './users.ts';
export { beginAccountSignIn, completeAccountSignIn, signInApp, type PendingSignIn, type SignInProvider, type SignInRequest } from './oauth-accounts.ts';
export { editAccount, type AccountEdit } from './account-edit.ts';
