// The schemas of the tenant routes (companies, their tokens, their checks),
// beside schemas.ts, which re-exports them: one source for request validation
// and the OpenAPI document.
import { z } from '@hono/zod-openapi';

const slug = z.string().min(1).max(63);
/** Domains or addresses, as the operation takes them: each checked and normalized there. */
const list = (what: string) =>
  z
    .array(z.string().min(1).max(320))
    .max(100)
    .openapi({ description: `${what} (each list given replaces the whole list)` });

export const TenantSchema = z
  .object({
    slug: z.string(),
    name: z.string(),
    parent: z.string().nullable().openapi({ description: 'the parent tenant of a subcompany' }),
    createdAt: z.string(),
    domains: z.array(z.string()),
    replyDomains: z.array(z.string()),
    forwardAddresses: z.array(z.string()),
    inboxes: z.array(z.string()),
  })
  .openapi('Tenant');

export const TenantInputSchema = z
  .object({
    slug: slug.openapi({ description: 'lower-case letters, digits and dashes' }),
    name: z.string().max(200).optional(),
    domains: list("the company's own domains, where its people's and candidates' mail comes from").min(1),
    replyDomains: list('reply subdomains whose MX is mailroom: any local part is accepted').default([]),
    forwardAddresses: list('addresses the company inboxes forward to').default([]),
    inboxes: list('company inboxes that forward to a forwarding address (the forwarding test sends to them)').optional(),
    parent: slug.optional().openapi({ description: 'makes this a subcompany of that tenant' }),
  })
  .openapi('TenantInput');

export const TenantUpdateSchema = z
  .object({
    name: z.string().max(200).optional(),
    domains: list("the company's own domains").min(1).optional(),
    replyDomains: list('reply subdomains').optional(),
    forwardAddresses: list('forwarding addresses').optional(),
    inboxes: list('company inboxes').optional(),
  })
  .openapi('TenantUpdate');

export const TokenInputSchema = z.object({ name: z.string().min(1).max(200).default('api') }).openapi('TokenInput');

export const TokenCreatedSchema = z
  .object({
    id: z.number().int(),
    token: z.string().openapi({ description: 'shown only in this answer; only its hash is kept' }),
    tenant: z.string(),
    name: z.string(),
    prefix: z.string(),
    createdAt: z.string(),
  })
  .openapi('TokenCreated');

export const CheckFindingSchema = z
  .object({
    area: z.enum(['setup', 'reply_domain', 'sending_domain', 'account', 'forwarding', 'imap_inbox']),
    subject: z.string(),
    check: z.string(),
    status: z.enum(['ok', 'warn', 'fail']),
    found: z.string(),
    advice: z.string().nullable().openapi({ description: 'what to change, for a warning or a failure' }),
  })
  .openapi('CheckFinding');

export const CheckReportSchema = z
  .object({
    tenant: z.string(),
    ok: z.boolean(),
    summary: z.object({ ok: z.number().int(), warn: z.number().int(), fail: z.number().int() }),
    checks: z.array(CheckFindingSchema),
    accounts: z.array(z.looseObject({ id: z.number().int(), name: z.string(), status: z.string() })),
  })
  .openapi('CheckReport');

export const CheckRequestSchema = z
  .object({
    sendTests: z.boolean().default(false).openapi({ description: 'also send a forwarding test to each company inbox: answered 202, then polled' }),
    inboxes: z.array(z.string().min(3).max(320)).max(20).default([]).openapi({ description: "the inboxes to test (default: the tenant's)" }),
  })
  .openapi('CheckRequest');

export const TenantCheckSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    state: z.enum(['running', 'done', 'failed']),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    url: z.string().openapi({ description: 'where to poll this check' }),
    report: CheckReportSchema.nullable(),
    error: z.string().nullable(),
  })
  .openapi('TenantCheck');
