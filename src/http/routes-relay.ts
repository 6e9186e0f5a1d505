// /v1/send (queue an outbound message), /v1/outbound/{id}, /v1/accounts and
// /v1/accounts/{id}/test (the staged connection test).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { composeOutbound } from '../relay/compose.ts';
import { SecretError, unreadableCredentials } from '../secrets/keyring.ts';
import { ConversationStore, type AccountSecret } from '../store/index.ts';
import { accountJson, outboundJson } from '../views/index.ts';
import type { ApiDeps, ApiEnv } from './app.ts';
import { conflict, notFound } from './problem.ts';
import { AccountSchema, DiagnosisSchema, OutboundSchema, page, PageQuery, ProblemSchema, SendSchema } from './schemas.ts';
import { decodeCursor, encodeCursor, tenantIn } from './scope.ts';

const security = [{ bearer: [] }];
const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

export function relayRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { ctx } = deps;
  const conversations = new ConversationStore(ctx.db);

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
    (c) => {
      const body = c.req.valid('json');
      const tenant = tenantIn(ctx, c.get('scope'), body.tenant);
      const candidate = body.candidate ? ctx.candidates.get(tenant.slug, body.candidate) : null;
      if (body.candidate && !candidate) throw notFound(`no candidate "${body.candidate}" in tenant "${tenant.slug}"`);
      // Named explicitly, an account or conversation must be one of the token's own tenants';
      // only the implicit choice may fall back to a parent's default account.
      const scope = c.get('scope').tenantIds;
      if (body.accountId !== undefined) {
        const account = ctx.accounts.get(body.accountId);
        if (!account || !scope.includes(account.tenantId)) throw notFound(`no account ${body.accountId}`);
      }
      if (body.conversationId !== undefined) {
        const conversation = conversations.get(body.conversationId);
        if (!conversation || !scope.includes(conversation.tenantId)) throw notFound(`no conversation ${body.conversationId}`);
      }
      const message = composeOutbound(
        { db: ctx.db, keyring: ctx.keyring(), now: ctx.clock.now(), platformTenant: ctx.config.relay.platformTenant },
        {
          tenant: tenant.slug,
          to: body.to,
          subject: body.subject,
          candidate,
          text: body.text,
          html: body.html,
          accountId: body.accountId,
          conversationId: body.conversationId,
          owner: body.owner,
        },
      );
      return c.json(outboundJson(message), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/outbound',
      security,
      request: { query: PageQuery.extend({ status: z.enum(['queued', 'sending', 'sent', 'deferred', 'failed']).optional() }) },
      responses: { 200: json(page(OutboundSchema, 'OutboundPage'), 'outbound messages, newest first') },
    }),
    (c) => {
      const q = c.req.valid('query');
      const before = decodeCursor(q.cursor);
      const list = ctx.outbound.list({
        tenantIds: c.get('scope').tenantIds,
        limit: q.limit + 1,
        ...(q.status ? { status: q.status } : {}),
        ...(before ? { before } : {}),
      });
      const items = list.slice(0, q.limit);
      return c.json({ items: items.map(outboundJson), nextCursor: list.length > q.limit ? encodeCursor(items[items.length - 1]?.id ?? '') : null }, 200);
    },
  );

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
    (c) => {
      const message = ctx.outbound.get(c.req.valid('param').id);
      if (!message || !c.get('scope').tenantIds.includes(message.tenantId)) throw notFound(`no outbound message ${c.req.valid('param').id}`);
      return c.json(outboundJson(message), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/accounts',
      security,
      responses: { 200: json(z.object({ items: z.array(AccountSchema) }), 'sending accounts (passwords masked)') },
    }),
    (c) => {
      const scope = c.get('scope');
      const items = ctx.accounts.list().filter((a) => scope.tenantIds.includes(a.tenantId));
      return c.json({ items: items.map(accountJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/accounts/{id}/test',
      security,
      request: {
        params: z.object({
          id: z.coerce
            .number()
            .int()
            .positive()
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: {
        200: json(DiagnosisSchema, 'the staged connection test (ok or the stage that failed, with advice)'),
        404: problem('no such account'),
        409: problem('the stored credentials cannot be opened (secret key lost or changed): enter them again'),
      },
    }),
    async (c) => {
      const account = ctx.accounts.get(c.req.valid('param').id);
      if (!account || !c.get('scope').tenantIds.includes(account.tenantId)) throw notFound(`no account ${c.req.valid('param').id}`);
      let secret: AccountSecret;
      try {
        secret = ctx.accounts.openSecret(account.id, ctx.keyring());
      } catch (err) {
        if (!(err instanceof SecretError)) throw err;
        const reason = unreadableCredentials(err);
        ctx.accounts.setStatus(account.id, 'failing', reason, ctx.clock.now().toISOString());
        throw conflict(
          `${reason}. Enter the password again (mailroom accounts add --tenant ${ctx.tenants.slugOf(account.tenantId)} --name ${account.name} ...) or restore the secret key.`,
        );
      }
      // Loaded on first use: the SMTP thread needs nodemailer only when someone tests an account here.
      const { diagnoseAccount } = await import('../relay/diagnose.ts');
      const result = await diagnoseAccount(account, secret, { connectionTimeoutMs: ctx.config.relay.connectionTimeoutMs, hostname: ctx.config.smtp.hostname });
      ctx.accounts.setStatus(
        account.id,
        result.ok ? 'active' : 'failing',
        result.ok ? null : `${result.stage}: ${result.error}`,
        ctx.clock.now().toISOString(),
      );
      return c.json(result, 200);
    },
  );
}
