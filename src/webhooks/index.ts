// Webhooks: what the platform hears. A change and its event are written in one
// transaction (announce.ts); the dispatcher delivers the events outbox to each
// tenant's endpoints, signed (Standard Webhooks, signing.ts), with retries,
// checked against private networks at every attempt, and disables an endpoint
// that keeps failing. Adding, rotating and replaying are operations (operations/webhooks.ts).
export { announceMessage, changeAccountStatus } from './announce.ts';
export { WebhookDispatcher, retryDelayMs, loggableUrl, type DispatcherDeps } from './dispatcher.ts';
export { newWebhookSecret, signature, signedHeaders } from './signing.ts';
