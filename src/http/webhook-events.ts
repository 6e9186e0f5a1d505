// The webhook events in the OpenAPI document's `webhooks` section: one entry
// per event type, with the payload schema every delivery of it follows (the
// public JSON of views/). The end-to-end tests validate what their receivers
// get against the served document, so the two cannot drift apart.
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { EVENT_TYPES, type EventType } from '../store/events.ts';
import { MessageJsonSchema, OutboundJsonSchema } from '../views/schemas.ts';
import { AccountSchema } from './schemas.ts';

const MessageEvent = z.strictObject({ message: MessageJsonSchema });
const OutboundEvent = z.strictObject({ outbound: OutboundJsonSchema });

/** What each event type's `data` holds, and when it is sent. */
const EVENTS: Record<EventType, { data: z.ZodType; description: string }> = {
  'message.assigned': { data: MessageEvent, description: 'a message was filed under a candidate (by the pipeline, or by hand)' },
  'message.unassigned': { data: MessageEvent, description: 'a message went to the unassigned queue, with its reason and suggestions' },
  'message.bounced': { data: MessageEvent, description: 'a bounce of one of our outbound messages arrived (`outboundId` names it)' },
  'message.auto_reply': { data: MessageEvent, description: 'an automatic reply (out of office...) was filed' },
  'message.dismissed': { data: MessageEvent, description: 'a message was dismissed from the unassigned queue' },
  'outbound.sent': { data: OutboundEvent, description: "an outbound message was accepted by the account's server" },
  'outbound.deferred': { data: OutboundEvent, description: 'an outbound message failed for now and will be retried' },
  'outbound.failed': { data: OutboundEvent, description: 'an outbound message was given up on' },
  'account.status_changed': {
    data: z.strictObject({ account: AccountSchema, previousStatus: z.string() }),
    description: "a sending account's status changed (a test, a send, a test email coming back)",
  },
  'webhook.disabled': {
    data: z.strictObject({ webhook: z.strictObject({ id: z.number().int(), url: z.string(), reason: z.string() }) }),
    description: 'a webhook endpoint was disabled (410 Gone, or failing for webhooks.disableAfterHours)',
  },
};

/** The schema of an event of this type, as delivered (Standard Webhooks headers sign this body). */
export function eventSchema(type: EventType): z.ZodType {
  return z
    .strictObject({
      id: z.string().openapi({ description: 'the event id (also the webhook-id header): the same on a retry or replay' }),
      type: z.literal(type),
      timestamp: z.string(),
      tenant: z.string().openapi({ description: 'the slug of the tenant it happened in (a subcompany, for its parent endpoints too)' }),
      data: EVENTS[type].data,
    })
    .openapi(`Event_${type.replace(/[^a-z]/gi, '_')}`);
}

/** One `webhooks` entry per event type. */
export function registerWebhookEvents(app: { openAPIRegistry: OpenAPIHono['openAPIRegistry'] }): void {
  for (const type of EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      summary: type,
      description: `${EVENTS[type].description}. Signed with the endpoint's secret (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).`,
      request: { body: { content: { 'application/json': { schema: eventSchema(type) } }, required: true } },
      responses: { 200: { description: 'any 2xx: delivered; anything else (or no answer in webhooks.timeoutMs) is retried' } },
    });
  }
}
