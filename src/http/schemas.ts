// The schemas that validate API requests and describe responses; the OpenAPI
// document at /openapi.json is generated from these same objects.
import { z } from '@hono/zod-openapi';
import { EVENT_TYPES } from '../store/events.ts';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details (application/problem+json)' });

export const CandidateSchema = z
  .looseObject({
    id: z.number().int(),
    tenant: z.string(),
    externalId: z.string(),
    name: z.string(),
    emails: z.array(z.string()),
    bouncing: z.array(z.object({ email: z.string(), since: z.string(), reason: z.string().nullable() })),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Candidate');

/** Every string a request carries has a maximum length (a stranger's 100 MB name is refused, not stored). */
const slug = z.string().min(1).max(100);
const externalId = z.string().min(1).max(200);

export const CandidateInputSchema = z
  .object({
    name: z.string().trim().min(1).max(500),
    emails: z.array(z.string().min(3).max(320)).min(1).max(50),
    tenant: slug.optional().openapi({ description: "a subcompany's slug (default: the token's tenant)" }),
  })
  .openapi('CandidateInput');

export const BulkCandidatesSchema = z
  .object({
    tenant: slug.optional(),
    candidates: z
      .array(z.object({ externalId: externalId, name: z.string().max(500), emails: z.array(z.string().max(320)).max(50) }))
      .min(1)
      .max(1000),
  })
  .openapi('BulkCandidates');

export const BulkResultSchema = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    rejected: z.array(z.object({ index: z.number().int(), externalId: z.string(), reason: z.string() })),
  })
  .openapi('BulkResult');

// The Message and Outbound JSON are defined once, with the views that render them.
export {
  ConversationJsonSchema as ConversationSchema,
  MessageJsonSchema as MessageSchema,
  MessageShownSchema,
  OutboundJsonSchema as OutboundSchema,
  ThreadItemSchema,
} from '../views/schemas.ts';

// Every field the Account JSON has (views/json.ts), so the typed client knows them; loose, as new fields may come.
export const AccountSchema = z
  .looseObject({
    id: z.number().int(),
    tenant: z.string(),
    name: z.string(),
    provider: z.string(),
    host: z.string(),
    port: z.number().int(),
    security: z.enum(['tls', 'starttls', 'none']),
    // A union, not .nullable(): a nullable literal becomes an enum without null in the OpenAPI document.
    tlsCa: z.union([z.literal('custom'), z.null()]).openapi({ description: 'custom: a private CA of its own; null: the public CAs' }),
    username: z.string(),
    auth: z.enum(['password', 'oauth2']),
    password: z.string().nullable().openapi({ description: 'masked; null for an OAuth2 account' }),
    from: z.string(),
    fromName: z.string().nullable(),
    sendingDomain: z.string(),
    dkim: z.object({ selector: z.string(), domain: z.string() }).nullable(),
    replyTo: z.string().openapi({ description: "the local part of its reply address at the tenant's reply domain" }),
    owner: z.string().nullable(),
    default: z.boolean(),
    delayMs: z.number().int(),
    perMinute: z.number().int(),
    perDay: z.number().int(),
    status: z.enum(['pending', 'active', 'failing']).openapi({ description: 'pending until a test email comes back through our MX' }),
    lastError: z.string().nullable(),
    lastTestedAt: z.string().nullable(),
    createdAt: z.string(),
    sentCopy: z
      .looseObject({ mode: z.enum(['off', 'provider', 'imap']) })
      .openapi({ description: 'where a copy of each sent message goes: nowhere, filed by the provider itself, or appended over IMAP (with its settings)' }),
  })
  .openapi('Account');

export const InboxSchema = z
  .looseObject({
    id: z.number().int(),
    tenant: z.string(),
    address: z.string(),
    host: z.string(),
    port: z.number().int(),
    folder: z.string(),
    afterImport: z.string(),
    status: z.enum(['pending', 'active', 'failing']),
    lastError: z.string().nullable(),
    lastImportAt: z.string().nullable(),
  })
  .openapi('Inbox');

export const InboxTestSchema = z
  .object({
    ok: z.boolean(),
    stage: z.enum(['login', 'folder']),
    error: z.string().nullable(),
    advice: z.string().nullable(),
    messages: z.number().int().nullable(),
    idle: z.boolean().nullable(),
    recentChecked: z.number().int().nullable(),
    recentStamped: z.number().int().nullable(),
    warning: z.string().nullable(),
  })
  .openapi('InboxTest');

// Every field of the webhook JSON (views/json.ts), so the typed client knows them.
export const WebhookSchema = z
  .looseObject({
    id: z.number().int(),
    tenant: z.string(),
    url: z.string(),
    events: z.array(z.string()).nullable().openapi({ description: 'the event types it receives; null: every type' }),
    status: z.enum(['active', 'disabled']),
    disabledReason: z.string().nullable(),
    failingSince: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    pending: z.number().int().openapi({ description: 'deliveries waiting to be made or retried' }),
    previousSecretValidUntil: z.string().nullable().openapi({ description: 'during a rotation: until when the old secret signs too' }),
    createdAt: z.string(),
  })
  .openapi('Webhook');

export const DiagnosisSchema = z
  .object({
    ok: z.boolean(),
    stage: z.string(),
    error: z.string().nullable(),
    advice: z.string().nullable(),
    stages: z.array(z.object({ stage: z.string(), ok: z.boolean(), ms: z.number() })),
  })
  .openapi('Diagnosis');

export const SendSchema = z
  .object({
    to: z.string().min(3).max(320),
    subject: z.string().trim().min(1).max(998),
    text: z
      .string()
      .max(512 * 1024)
      .optional(),
    html: z
      .string()
      .max(512 * 1024)
      .optional(),
    candidate: externalId.optional().openapi({ description: "the candidate's external id" }),
    conversationId: z.number().int().positive().optional(),
    accountId: z.number().int().positive().optional(),
    owner: z.string().max(320).optional().openapi({ description: 'the sending user, for per-user accounts' }),
    tenant: slug.optional(),
  })
  .refine((b) => b.text !== undefined || b.html !== undefined, { message: 'give text, html or both', path: ['text'] })
  .openapi('SendRequest');

export const WebhookInputSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).max(2048),
    events: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
    tenant: slug.optional().openapi({ description: "a subcompany's slug, any tenant's for a platform token (default: the token's tenant)" }),
  })
  .openapi('WebhookInput');

export const AssignSchema = z.object({ candidate: externalId, rememberAddress: z.boolean().optional() }).openapi('AssignRequest');
export const DismissSchema = z.object({ note: z.string().max(2000).optional() }).openapi('DismissRequest');
export const ReplaySchema = z.object({ since: z.iso.datetime({ offset: true }), webhookId: z.number().int().optional() }).openapi('ReplayRequest');

export const PageQuery = z.object({
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function page<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}
export * from './schemas-tenants.ts';
