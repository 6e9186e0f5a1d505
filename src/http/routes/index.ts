// The /v1 routes, one file per resource (candidates, messages, conversations, relay, accounts, inboxes, webhooks, tenants).
// Each handler reads its validated input, calls an operation with the token's
// scope as the caller's reach, and renders the result with views/; what they
// declare alike (bearer security, JSON and problem responses) is in shared.ts,
// the scope and page cursors in scope.ts.
export { accountRoutes } from './accounts.ts';
export { candidateRoutes } from './candidates.ts';
export { conversationRoutes } from './conversations.ts';
export { inboxRoutes } from './inboxes.ts';
export { messageRoutes } from './messages.ts';
export { oauthRoutes } from './oauth.ts';
export { relayRoutes } from './relay.ts';
export { tenantRoutes } from './tenants.ts';
export { webhookRoutes } from './webhooks.ts';
export { scopeOf, type Scope } from './scope.ts';
