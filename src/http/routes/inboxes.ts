// /v1/inboxes: the tenant's mailboxes read over IMAP, added and edited (with the
// console's and the CLI's rules: public servers only unless the operator allows
// it, the password again when where or as whom it connects changes; passwords
// are write-only), their status, a test of each (login, folder) and their removal.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { addInbox, editInbox, inboxWithin, removeInbox, testInbox } from '../../operations/index.ts';
import { inboxJson } from '../../views/index.ts';
import type { ApiDeps, ApiEnv } from '../deps.ts';
import { InboxEditSchema, InboxInputSchema } from '../account-schemas.ts';
import { InboxSchema, InboxTestSchema } from '../schemas.ts';
import { json, NumericId, problem, security } from './shared.ts';
import { listedIds, tenantNamed } from './scope.ts';

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
      method: 'post',
      path: '/v1/inboxes',
      security,
      request: { body: { content: { 'application/json': { schema: InboxInputSchema } }, required: true } },
      responses: {
        201: json(InboxSchema, 'the inbox, read from within inboxes.refreshMs (the password is never answered)'),
        400: problem('invalid settings (the field is named)'),
        404: problem('unknown tenant'),
        409: problem('the tenant already reads this address and folder'),
        422: problem('a rule refused it: a server on a private network (relay.allowPrivateNetworks), named in the detail'),
      },
    }),
    async (c) => {
      const { password, tenant, ...body } = c.req.valid('json');
      const inbox = await addInbox(ctx, c.get('scope'), { ...body, tenant: tenantNamed(c.get('scope'), tenant), credentials: { password } });
      return c.json(inboxJson(inbox), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/inboxes/{id}',
      security,
      request: { params: NumericId, body: { content: { 'application/json': { schema: InboxEditSchema } }, required: true } },
      responses: {
        200: json(InboxSchema, 'the inbox, pending until it is read with the new settings'),
        400: problem('invalid settings, or a change of server, port, security or username without the password'),
        404: problem('no such inbox'),
        422: problem('a rule refused it: a server on a private network (relay.allowPrivateNetworks), named in the detail'),
      },
    }),
    async (c) => {
      const { password, ...edit } = c.req.valid('json');
      const inbox = await editInbox(ctx, c.get('scope'), c.req.valid('param').id, { ...edit, ...(password ? { credentials: { password } } : {}) });
      return c.json(inboxJson(inbox), 200);
    },
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
