// The request bodies that add and edit sending accounts and inboxes, named as
// the operations name their input. Passwords are write-only: taken here, sealed
// by the operation, and never part of any answer.
import { z } from '@hono/zod-openapi';
import { PROVIDERS } from '../relay/providers.ts';

const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .openapi({ description: 'host name or IP address; public internet addresses only, unless the operator allows private ones' });
const port = z.number().int().min(1).max(65535);
const security = z.enum(['tls', 'starttls', 'none']);
const password = z.string().min(1).max(1000).openapi({ description: 'write-only: sealed at rest, never answered' });
const tlsCa = z
  .string()
  .max(64 * 1024)
  .openapi({ description: "PEM of a private CA to trust for the server's certificate" });

export const AccountInputSchema = z
  .object({
    tenant: z.string().min(1).max(100).optional().openapi({ description: "the tenant (a subcompany's slug); default: the token's" }),
    name: z.string().trim().min(1).max(100),
    provider: z.enum(Object.keys(PROVIDERS) as [keyof typeof PROVIDERS, ...(keyof typeof PROVIDERS)[]]),
    host: host.optional().openapi({ description: "the SMTP server; default: the provider's" }),
    port: port.optional(),
    security: security.optional(),
    allowPlain: z.boolean().optional().openapi({ description: 'required with security none: the password would cross the network in the clear' }),
    tlsCa: tlsCa.nullable().optional(),
    username: z.string().trim().min(1).max(320),
    password,
    from: z.string().min(3).max(320),
    fromName: z.string().max(200).optional(),
    replyTo: z.string().max(64).optional().openapi({ description: 'the local part of the Reply-To before +token, e.g. careers' }),
    owner: z.string().max(320).optional().openapi({ description: 'the user this account sends for (default: the whole tenant)' }),
    isDefault: z.boolean().optional(),
    delayMs: z.number().int().min(0).max(3_600_000).optional(),
    perMinute: z.number().int().min(0).optional(),
    perDay: z.number().int().min(0).optional(),
  })
  .openapi('AccountInput');

export const AccountEditSchema = z
  .object({
    host: host.optional(),
    port: port.optional(),
    security: security.optional(),
    username: z.string().trim().min(1).max(320).optional(),
    password: password.optional().openapi({ description: 'required when host, port, security or username change (write-only)' }),
    tlsCa: tlsCa.nullable().optional().openapi({ description: 'PEM of a private CA; null: the public CAs; absent: unchanged' }),
    from: z.string().min(3).max(320).optional(),
    fromName: z.string().max(200).nullable().optional(),
    replyTo: z.string().max(64).optional(),
    delayMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .openapi('AccountEdit');

export const TestEmailStartedSchema = z
  .object({
    accountId: z.number().int(),
    status: z.enum(['pending', 'active', 'failing']),
    detail: z.string(),
  })
  .openapi('TestEmailStarted');

export const InboxInputSchema = z
  .object({
    tenant: z.string().min(1).max(100).optional().openapi({ description: "the tenant (a subcompany's slug); default: the token's" }),
    address: z.string().min(3).max(320),
    provider: z.enum(['gmail', 'zoho', 'custom']).optional(),
    host: host.optional().openapi({ description: "the IMAP server; default: the provider's" }),
    port: port.optional(),
    security: security.optional(),
    allowPlain: z.boolean().optional(),
    username: z.string().trim().min(1).max(320).optional().openapi({ description: 'default: the address' }),
    password,
    folder: z.string().min(1).max(200).optional(),
    afterImport: z.string().max(210).optional().openapi({ description: 'leave (default), seen, or move:FOLDER' }),
    since: z.string().max(10).optional().openapi({ description: 'back-fill from this day (YYYY-MM-DD) on the first connection' }),
    authservId: z.string().max(253).optional().openapi({ description: "whose Authentication-Results to believe; default: the provider's" }),
  })
  .openapi('InboxInput');

export const InboxEditSchema = z
  .object({
    host: host.optional(),
    port: port.optional(),
    security: security.optional(),
    allowPlain: z.boolean().optional(),
    username: z.string().trim().min(1).max(320).optional(),
    password: password.optional().openapi({ description: 'required when host, port, security or username change (write-only)' }),
    folder: z.string().min(1).max(200).optional(),
    afterImport: z.string().max(210).optional(),
    authservId: z.string().max(253).nullable().optional(),
  })
  .openapi('InboxEdit');
