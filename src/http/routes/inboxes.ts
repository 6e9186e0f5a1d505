// /v1/inboxes: the tenant's mailboxes read over IMAP, their status, a test of
// each (login, folder) and their removal. Adding one stays with the operator's
// CLI, which reads the password from the environment, not a request body.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { inboxWithin, removeInbox, testInbox } from '../../operations/index.ts';
import { inboxJson } from '../../views/index.ts';
import type { ApiDeps, ApiEnv } from '../app.ts';
import { InboxSchema, InboxTestSchema } from '../schemas.ts';
import { json, NumericId, problem, security } from './shared.ts';
import { listedIds } from './scope.ts';

export function inboxRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { ctx } = deps;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/inboxes',
      security,
      responses: { 200: json(z.object({ items: z.array(InboxSchema) }), 'inboxes read over IMAP (passwords masked)') },
    }),
    async (c) => c.json({ items: (await ctx.inboxes.list(listedIds(c.get('scope')))).map((i) => inboxJson(i)) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/inboxes/{id}',
      security,
      request: { params: NumericId },
      responses: { 200: json(InboxSchema, 'an inbox, with how many messages were read from it'), 404: problem('no such inbox') },
    }),
    async (c) => {
      const inbox = await inboxWithin(ctx, c.get('scope'), c.req.valid('param').id);
      return c.json(inboxJson(inbox, await ctx.inboxes.importedCount(inbox.id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/inboxes/{id}/test',
      security,
      request: { params: NumericId },
      responses: { 200: json(InboxTestSchema, 'the login and the folder checked (or the step that failed, with advice)'), 404: problem('no such inbox') },
    }),
    async (c) => {
      const { result } = await testInbox(ctx, c.get('scope'), c.req.valid('param').id);
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/inboxes/{id}',
      security,
      request: { params: NumericId },
      responses: { 204: { description: 'removed; the messages read from it stay' }, 404: problem('no such inbox') },
    }),
    async (c) => {
      await removeInbox(ctx, c.get('scope'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
