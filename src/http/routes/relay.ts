// /v1/send (queue an outbound message), /v1/outbound/{id}, /v1/accounts and
// /v1/accounts/{id}/test (the staged connection test).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { listAccounts, reaches, sendMessage, testAccount } from '../../operations/index.ts';
import { accountJson, outboundJson } from '../../views/index.ts';
import type { ApiDeps, ApiEnv } from '../deps.ts';
import { notFound } from '../problem.ts';
import { AccountSchema, DiagnosisSchema, OutboundSchema, page, PageQuery, SendSchema } from '../schemas.ts';
import { json, NumericId, problem, security } from './shared.ts';
import { decodeCursor, encodeCursor, listedIds, tenantNamed } from './scope.ts';

/** POST /v1/send: queue a message. */
function sendRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/send',
      security,
      request: { body: { content: { 'application/json': { schema: SendSchema } }, required: true } },
      responses: {
        202: json(OutboundSchema, 'queued; the relay sends it (watch outbound.* events)'),
        400: problem('cannot be sent as asked'),
        404: problem('unknown tenant or candidate'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const message = await sendMessage(ctx, c.get('scope'), { ...body, tenant: tenantNamed(c.get('scope'), body.tenant) });
      return c.json(outboundJson(message), 202);
    },
  );
}

/** GET /v1/outbound: newest first, a page at a time. */
function listOutbound(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/outbound',
      security,
      request: { query: PageQuery.extend({ status: z.enum(['queued', 'sending', 'sent', 'deferred', 'failed']).optional() }) },
      responses: { 200: json(page(OutboundSchema, 'OutboundPage'), 'outbound messages, newest first') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const before = decodeCursor(q.cursor);
      const list = await ctx.outbound.list({
        tenantIds: listedIds(c.get('scope')),
        limit: q.limit + 1,
        ...(q.status ? { status: q.status } : {}),
        ...(before ? { before } : {}),
      });
      const items = list.slice(0, q.limit);
      return c.json({ items: items.map(outboundJson), nextCursor: list.length > q.limit ? encodeCursor(items[items.length - 1]?.id ?? '') : null }, 200);
    },
  );
}

/** GET /v1/outbound/{id}. */
function showOutbound(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/outbound/{id}',
      security,
      request: {
        params: z.object({
          id: z
            .string()
            .min(1)
            .max(40)
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: { 200: json(OutboundSchema, 'an outbound message'), 404: problem('no such outbound message') },
    }),
    async (c) => {
      const message = await ctx.outbound.get(c.req.valid('param').id);
      if (!message || !reaches(c.get('scope'), message.tenantId)) throw notFound(`no outbound message ${c.req.valid('param').id}`);
      return c.json(outboundJson(message), 200);
    },
  );
}

/** GET /v1/accounts (passwords masked). */
function listAccountsRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/accounts',
      security,
      responses: { 200: json(z.object({ items: z.array(AccountSchema) }), 'sending accounts (passwords masked)') },
    }),
    async (c) => {
      const items = await listAccounts(ctx, c.get('scope'));
      return c.json({ items: items.map(accountJson) }, 200);
    },
  );
}

/** POST /v1/accounts/{id}/test: the staged connection test. */
function testAccountRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/accounts/{id}/test',
      security,
      request: { params: NumericId },
      responses: {
        200: json(DiagnosisSchema, 'the staged connection test (ok or the stage that failed, with advice)'),
        404: problem('no such account'),
        409: problem('the stored credentials cannot be opened (secret key lost or changed): enter them again'),
      },
    }),
    async (c) => {
      const { result } = await testAccount(ctx, c.get('scope'), c.req.valid('param').id);
      return c.json(result, 200);
    },
  );
}

export function relayRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  sendRoute(app, deps);
  listOutbound(app, deps);
  showOutbound(app, deps);
  listAccountsRoute(app, deps);
  testAccountRoute(app, deps);
}
