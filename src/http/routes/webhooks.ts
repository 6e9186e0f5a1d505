// /v1/webhooks: the token's tenant's endpoints: list, add (the secret is in the
// answer once), remove, rotate the secret, replay events since a time.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { webhookJson } from '../../views/index.ts';
import { addWebhook, removeWebhook, replayWebhooks, rotateWebhookSecret } from '../../operations/index.ts';
import type { ApiDeps, ApiEnv } from '../deps.ts';
import { ReplaySchema, WebhookInputSchema, WebhookSchema } from '../schemas.ts';
import { json, NumericId, problem, security } from './shared.ts';
import { listedIds, tenantNamed } from './scope.ts';

export function webhookRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  listWebhooks(app, deps);
  addEndpoint(app, deps);
  removeEndpoint(app, deps);
  rotateSecret(app, deps);
  replayEvents(app, deps);
}

/** The endpoints within the token's reach. */
function listWebhooks(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({ method: 'get', path: '/v1/webhooks', security, responses: { 200: json(z.object({ items: z.array(WebhookSchema) }), 'endpoints') } }),
    async (c) => c.json({ items: (await ctx.webhooks.list(listedIds(c.get('scope')))).map(webhookJson) }, 200),
  );
}

/** Adds an endpoint; its secret is in this answer only. */
function addEndpoint(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks',
      security,
      request: { body: { content: { 'application/json': { schema: WebhookInputSchema } }, required: true } },
      responses: { 201: json(z.object({ webhook: WebhookSchema, secret: z.string() }), 'added; the whsec_ secret is shown only here') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { webhook, secret } = await addWebhook(ctx, c.get('scope'), {
        tenant: tenantNamed(c.get('scope'), body.tenant),
        url: body.url,
        events: body.events ?? null,
      });
      return c.json({ webhook: webhookJson(webhook), secret }, 201);
    },
  );
}

/** Removes an endpoint; its deliveries go with it. */
function removeEndpoint(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{id}',
      security,
      request: { params: NumericId },
      responses: { 204: { description: 'removed' }, 404: problem('no such webhook') },
    }),
    async (c) => {
      await removeWebhook(ctx, c.get('scope'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}

/** A new signing secret; the old one keeps signing for the grace period. */
function rotateSecret(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/{id}/rotate-secret',
      security,
      request: { params: NumericId },
      responses: {
        200: json(
          z.object({ id: z.number().int(), secret: z.string(), previousSecretValidUntil: z.string() }),
          'the new secret; the old one signs too until previousSecretValidUntil',
        ),
        404: problem('no such webhook'),
      },
    }),
    async (c) => {
      const { webhook, secret, previousSecretValidUntil } = await rotateWebhookSecret(ctx, c.get('scope'), c.req.valid('param').id);
      return c.json({ id: webhook.id, secret, previousSecretValidUntil }, 200);
    },
  );
}

/** Every event since a time, delivered again. */
function replayEvents(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/replay',
      security,
      request: { body: { content: { 'application/json': { schema: ReplaySchema } }, required: true } },
      responses: { 200: json(z.object({ queued: z.number().int() }), 'deliveries queued again'), 404: problem('no such webhook') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { queued } = await replayWebhooks(ctx, c.get('scope'), { since: new Date(body.since).toISOString(), webhookId: body.webhookId });
      return c.json({ queued }, 200);
    },
  );
}
