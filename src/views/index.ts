// Views: how mailroom's objects look from outside (CLI --json, webhooks, API).
export { messageJson, candidateJson, accountJson, outboundJson, webhookJson } from './json.ts';
