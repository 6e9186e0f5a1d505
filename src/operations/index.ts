// Operations: what a person or the platform can ask mailroom to do, once, for
// every interface (the CLI, the HTTP API, the web console). Each takes the
// context, the caller's reach (which tenants it may see) and plain input; each
// checks its rules and throws domain errors (errors.ts) that every interface
// words its own way: the CLI names its flags, the API answers problem types.
// Reads that are a single repository call stay with the caller.
export { ALL_TENANTS, EVERY_TENANT, reaches, tenantsWithin, tenantWithin, messageWithin, accountWithin, type Reach } from './reach.ts';
export {
  addressToRemember,
  assignMessage,
  dismissMessage,
  reprocessMessages,
  searchCandidates,
  undoFiling,
  nextWaiting,
  waitingCount,
  UNDO_SECONDS,
  type AddressToRemember,
  type Assignment,
  type ReprocessRequest,
} from './messages.ts';
export {
  answeredOutbound,
  candidateConversations,
  candidateWithin,
  conversationThread,
  conversationWithin,
  type ThreadEntry,
  type ThreadPlace,
} from './conversations.ts';
export { sendMessage, type SendRequest } from './outbound.ts';
export {
  addAccount,
  listAccounts,
  makeDefaultAccount,
  removeAccount,
  sendAccountTestEmail,
  startAccountTestEmail,
  testAccount,
  type AccountInput,
  type SentCopyInput,
} from './accounts.ts';
export { importCandidates, removeCandidate, upsertCandidate, IMPORT_CHUNK, type CandidateChunkWriter, type ImportRequest } from './candidates.ts';
export { addTenant, checkTenantSetup, listTenants, removeTenant, startTenantCheck, tenantCheckWithin, updateTenant } from './tenants.ts';
export { createApiToken, createPlatformToken, listApiTokens, requirePlatform, revokeApiToken } from './tokens.ts';
export { addWebhook, enableWebhook, removeWebhook, replayDelivery, replayWebhooks, rotateWebhookSecret, webhookDeliveries, webhookWithin } from './webhooks.ts';
export { addInbox, inboxWithin, removeInbox, testInbox, INBOX_PROVIDERS, type InboxInput, type InboxProvider } from './inboxes.ts';
export { addReplyTokenKey, listKeys, removeReplyTokenKey, rotateSecretKey, type KeyReport } from './keys.ts';
export { purgeRawMessages, type PurgeRequest } from './retention.ts';
export {
  addConsoleUser,
  completeSetup,
  consoleAddress,
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
export {
  abandonSignIn,
  allowedReturnUrl,
  beginAccountSignIn,
  completeAccountSignIn,
  signInApp,
  signInRedirectUri,
  signInReturnUrl,
  type SignInFinisher,
  type SignInProvider,
  type SignInRequest,
  type SignInStarter,
} from './oauth-accounts.ts';
export { SignInError, verifiedMailbox, type SignInErrorCode } from './oauth-id-token.ts';
export { editAccount, type AccountEdit } from './account-edit.ts';
export { editInbox, type InboxEdit } from './inbox-edit.ts';
