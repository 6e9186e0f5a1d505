// /v1/messages: list (cursor pages, newest first), show, raw bytes, attachment
// download, and clearing the unassigned queue (assign, dismiss, undo).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  assignMessage,
  candidateWithin,
  conversationWithin,
  dismissMessage,
  EVERY_TENANT,
  messageWithin,
  type Reach,
  undoFiling,
  UNDO_SECONDS,
} from '../../operations/index.ts';
import type { Context as AppContext } from '../../context.ts';
import { checkSignature } from '../../webhooks/attachment-links.ts';
import type { StoredMessage } from '../../store/index.ts';
import { messageJson } from '../../views/index.ts';
import { MESSAGE_STATUSES } from '../../views/schemas.ts';
import type { ApiDeps, ApiEnv } from '../deps.ts';
import { ForbiddenError } from '../../errors.ts';
import { notFound } from '../problem.ts';
import { DownloadBudget, sendFile } from '../send-file.ts';
import { AssignSchema, DismissSchema, MessageSchema, MessageShownSchema, page, PageQuery } from '../schemas.ts';
import { json, problem, security } from './shared.ts';
import { decodeCursor, encodeCursor, listedIds, tenantIn } from './scope.ts';

const MessageId = z.object({
  id: z
    .string()
    .min(1)
    .max(40)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

/** A message as one is shown: its JSON and the evidence of its decision. */
const shown = (m: StoredMessage) => ({ ...messageJson(m), evidence: m.decision?.evidence ?? {} });

/** GET /v1/messages: newest first, a page at a time. */
function listMessages(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/messages',
      security,
      request: {
        query: PageQuery.extend({
          status: z.enum(MESSAGE_STATUSES).optional(),
          reason: z.string().max(64).optional(),
          since: z.iso.datetime({ offset: true }).optional(),
          candidate: z.string().min(1).max(200).optional().openapi({ description: "only this candidate's messages (its external id)" }),
          tenant: z.string().max(100).optional().openapi({ description: "the candidate's tenant, a subcompany's slug (default: the token's tenant)" }),
          conversation: z.coerce.number().int().positive().optional().openapi({ description: "only this conversation's messages" }),
        }),
      },
      responses: { 200: json(page(MessageSchema, 'MessagePage'), 'messages, newest first'), 404: problem('no such candidate, conversation or tenant') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const before = decodeCursor(q.cursor);
      const scope = c.get('scope');
      const candidate = q.candidate ? await candidateWithin(ctx, scope, (await tenantIn(ctx, scope, q.tenant)).slug, q.candidate) : null;
      const conversation = q.conversation ? await conversationWithin(ctx, scope, q.conversation) : null;
      const list = await ctx.messages.list({
        tenantIds: listedIds(c.get('scope')),
        limit: q.limit + 1,
        ...(q.status ? { status: q.status } : {}),
        ...(q.reason ? { reason: q.reason } : {}),
        ...(q.since ? { since: new Date(q.since).toISOString() } : {}),
        ...(before ? { before } : {}),
        ...(candidate ? { candidateId: candidate.id } : {}),
        ...(conversation ? { conversationId: conversation.id } : {}),
      });
      const items = list.slice(0, q.limit);
      return c.json({ items: items.map(messageJson), nextCursor: list.length > q.limit ? encodeCursor(items[items.length - 1]?.id ?? '') : null }, 200);
    },
  );
}

/** GET /v1/messages/{id}, with the evidence of its decision. */
function showMessage(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/messages/{id}',
      security,
      request: { params: MessageId },
      responses: { 200: json(MessageShownSchema, 'the message, with the evidence of its decision'), 404: problem('no such message') },
    }),
    async (c) => {
      return c.json(shown(await messageWithin(ctx, c.get('scope'), c.req.valid('param').id)), 200);
    },
  );
}

/** GET /v1/messages/{id}/raw: the stored bytes, as a download. */
function rawMessage(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps, budget: DownloadBudget): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/messages/{id}/raw',
      security,
      request: { params: MessageId },
      responses: {
        200: { content: { 'message/rfc822': { schema: z.string() } }, description: 'the bytes as stored, our Received line first' },
        404: problem('no such message'),
      },
    }),
    async (c) => {
      const m = await messageWithin(ctx, c.get('scope'), c.req.valid('param').id);
      const raw = await ctx.raw.locate(m.id);
      if (!raw) throw notFound(`the raw bytes of ${m.id} are missing (deleted by retention.rawDays, or lost)`);
      const headers = { 'content-type': 'message/rfc822', 'x-content-type-options': 'nosniff', 'content-disposition': `attachment; filename="${m.id}.eml"` };
      if ('bytes' in raw) return c.body(new Uint8Array(raw.bytes), 200, headers);
      return sendFile(c, budget, raw.file, raw.size, headers);
    },
  );
}

const ATTACHMENT_PATH = /^\/v1\/messages\/[^/]+\/attachments\/[0-9a-f]{64}$/;

/** An attachment download by a signed URL (no token): the route checks the signature itself. */
export const isSignedAttachmentRequest = (path: string, signature: string | undefined): boolean => signature !== undefined && ATTACHMENT_PATH.test(path);

const SignedQuery = z.object({
  expires: z.string().max(20).optional().openapi({ description: 'of a signed URL (a webhook gives it): when it expires, in Unix seconds' }),
  kid: z.string().max(20).optional().openapi({ description: 'of a signed URL: the key that signed it' }),
  signature: z.string().max(100).optional().openapi({ description: 'of a signed URL: it then needs no token' }),
});

/** The reach of an attachment request: the token's, or for a signed URL, the one message and attachment it was signed for. */
function attachmentReach(ctx: AppContext, c: { get(key: 'scope'): Reach }, id: string, sha256: string, query: z.infer<typeof SignedQuery>): Reach {
  if (query.signature === undefined) return c.get('scope');
  const verdict = checkSignature(
    ctx.keyring(),
    id,
    sha256,
    { expires: query.expires ?? '', kid: query.kid ?? '', signature: query.signature },
    ctx.clock.now().getTime() / 1000,
  );
  if (verdict !== 'ok') throw new ForbiddenError(verdict === 'expired' ? 'this signed URL has expired' : 'this signed URL is not valid');
  return EVERY_TENANT;
}

/** GET /v1/messages/{id}/attachments/{sha256}: one attachment, streamed. */
function messageAttachment(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps, budget: DownloadBudget): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/messages/{id}/attachments/{sha256}',
      // The token, or a signed URL from a webhook (webhooks.signedAttachmentUrlsMinutes) without one.
      security: [...security, {}],
      request: {
        params: MessageId.extend({
          sha256: z
            .string()
            .regex(/^[0-9a-f]{64}$/)
            .openapi({ param: { name: 'sha256', in: 'path' } }),
        }),
        query: SignedQuery,
      },
      responses: {
        200: { content: { 'application/octet-stream': { schema: z.string() } }, description: 'the attachment (streamed)' },
        403: problem('a signed URL that is tampered with or expired'),
        404: problem('no such attachment on this message'),
      },
    }),
    async (c) => {
      const { id, sha256 } = c.req.valid('param');
      const m = await messageWithin(ctx, attachmentReach(ctx, c, id, sha256, c.req.valid('query')), id);
      const attachment = m.attachments.find((a) => a.sha256 === sha256);
      const where = attachment ? await ctx.attachments.locate(sha256) : null;
      if (!attachment || !where) throw notFound(`message ${m.id} has no attachment ${sha256}`);
      const name = (attachment.filename ?? sha256).replace(/["\\\r\n]/g, '_');
      const headers = {
        'content-type': attachment.contentType,
        'content-disposition': `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(attachment.filename ?? sha256)}`,
        // A browser must never render a sender's HTML or SVG as if it came from us.
        'x-content-type-options': 'nosniff',
      };
      if ('bytes' in where) return c.body(new Uint8Array(where.bytes), 200, headers);
      return sendFile(c, budget, where.file, where.size, headers);
    },
  );
}

/** POST /v1/messages/{id}/assign. */
function assignRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/messages/{id}/assign',
      security,
      request: { params: MessageId, body: { content: { 'application/json': { schema: AssignSchema } }, required: true } },
      responses: {
        200: json(MessageShownSchema, 'assigned (method manual)'),
        400: problem('no such candidate'),
        404: problem('no such message'),
        409: problem('not in the unassigned queue'),
      },
    }),
    async (c) => {
      // A domain error (not found, not unassigned, no address to remember) becomes its problem in app.ts.
      const { message } = await assignMessage(ctx, c.get('scope'), c.req.valid('param').id, c.req.valid('json'));
      return c.json(shown(message), 200);
    },
  );
}

/** POST /v1/messages/{id}/dismiss. */
function dismissRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/messages/{id}/dismiss',
      security,
      request: { params: MessageId, body: { content: { 'application/json': { schema: DismissSchema } } } },
      responses: { 200: json(MessageShownSchema, 'dismissed'), 404: problem('no such message'), 409: problem('not in the unassigned queue') },
    }),
    async (c) => {
      const message = await dismissMessage(ctx, c.get('scope'), c.req.valid('param').id, c.req.valid('json').note ?? null);
      return c.json(shown(message), 200);
    },
  );
}

/** POST /v1/messages/{id}/undo: a filing or dismissal by hand taken back within its window. */
function undoRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/messages/{id}/undo',
      security,
      description: `Puts a message filed or dismissed by hand back in the unassigned queue as it stood (an address remembered with the filing is forgotten again), announced as message.unassigned; only within ${UNDO_SECONDS} seconds of the filing or dismissal.`,
      request: { params: MessageId },
      responses: {
        200: json(MessageShownSchema, 'unassigned again'),
        404: problem('no such message'),
        409: problem(`not filed or dismissed by hand, or more than ${UNDO_SECONDS} seconds ago`),
      },
    }),
    async (c) => {
      return c.json(shown(await undoFiling(ctx, c.get('scope'), c.req.valid('param').id)), 200);
    },
  );
}

export function messageRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const budget = new DownloadBudget(deps.ctx.config.http.downloadMbPerSecond);
  listMessages(app, deps);
  showMessage(app, deps);
  rawMessage(app, deps, budget);
  messageAttachment(app, deps, budget);
  assignRoute(app, deps);
  dismissRoute(app, deps);
  undoRoute(app, deps);
}
