// Views: how mailroom's objects look from outside (CLI --json, webhooks, API).
export { messageJson, candidateJson, accountJson, inboxJson, outboundJson, tenantJson, webhookJson, conversationJson, attachmentPath } from './json.ts';
