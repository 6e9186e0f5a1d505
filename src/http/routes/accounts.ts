// /v1/accounts: a tenant's sending accounts added, read, edited and removed,
// made the default, and proven with a test email, through the operations the
// console and the CLI use (same rules: public servers only unless the operator
// allows it, the password again when where or as whom it connects changes).
// Passwords are write-only.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { accountWithin, addAccount, editAccount, makeDefaultAccount, removeAccount, startAccountTestEmail } from '../../operations/index.ts';
import { accountJson } from '../../views/index.ts';
import type { ApiDeps, ApiEnv } from '../deps.ts';
import { AccountEditSchema, AccountInputSchema, TestEmailStartedSchema } from '../account-schemas.ts';
import { AccountSchema } from '../schemas.ts';
import { json, NumericId, problem, security } from './shared.ts';
import { tenantNamed } from './scope.ts';

const refused = problem('a rule refused it: a server on a private network (relay.allowPrivateNetworks), named in the detail');

/** POST /v1/accounts: add an account (status pending until tested). */
function addRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/accounts',
      security,
      request: { body: { content: { 'application/json': { schema: AccountInputSchema } }, required: true } },
      responses: {
        201: json(AccountSchema, 'the account, pending until a test passes (the password is never answered)'),
        400: problem('invalid settings (the field is named)'),
        404: problem('unknown tenant'),
        409: problem('the tenant already has an account of this name'),
        422: refused,
      },
    }),
    async (c) => {
      const { password, tenant, ...body } = c.req.valid('json');
      const { account } = await addAccount(ctx, c.get('scope'), { ...body, tenant: tenantNamed(c.get('scope'), tenant), credentials: { password } });
      return c.json(accountJson(account), 201);
    },
  );
}

/** GET /v1/accounts/{id}. */
function showRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/accounts/{id}',
      security,
      request: { params: NumericId },
      responses: { 200: json(AccountSchema, 'a sending account (the password is never answered)'), 404: problem('no such account') },
    }),
    async (c) => c.json(accountJson(await accountWithin(ctx, c.get('scope'), c.req.valid('param').id)), 200),
  );
}

/** PATCH /v1/accounts/{id}: what is given changes; the account is pending again. */
function editRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/accounts/{id}',
      security,
      request: { params: NumericId, body: { content: { 'application/json': { schema: AccountEditSchema } }, required: true } },
      responses: {
        200: json(AccountSchema, 'the account, pending again until a test passes'),
        400: problem('invalid settings, or a change of server, port, security or username without the password (an OAuth2 account signs in again)'),
        404: problem('no such account'),
        422: refused,
      },
    }),
    async (c) => {
      const scope = c.get('scope');
      const current = await accountWithin(ctx, scope, c.req.valid('param').id);
      const edit = c.req.valid('json');
      const account = await editAccount(ctx, scope, current.id, {
        host: edit.host ?? current.host,
        port: edit.port ?? current.port,
        security: edit.security ?? current.security,
        username: edit.username ?? current.username,
        password: edit.password,
        tlsCa: edit.tlsCa,
        from: edit.from ?? current.fromAddress,
        fromName: edit.fromName === undefined ? current.fromName : edit.fromName,
        replyTo: edit.replyTo ?? current.replyLocal,
        delayMs: edit.delayMs ?? current.delayMs,
      });
      return c.json(accountJson(account), 200);
    },
  );
}

/** DELETE /v1/accounts/{id}: the messages it sent stay. */
function removeRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/accounts/{id}',
      security,
      request: { params: NumericId },
      responses: { 204: { description: 'removed; the messages it sent stay' }, 404: problem('no such account') },
    }),
    async (c) => {
      await removeAccount(ctx, c.get('scope'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}

/** POST /v1/accounts/{id}/default: the default of its owner, or of its tenant. */
function defaultRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/accounts/{id}/default',
      security,
      request: { params: NumericId },
      responses: { 200: json(AccountSchema, 'the account, now the default of its owner or tenant'), 404: problem('no such account') },
    }),
    async (c) => c.json(accountJson(await makeDefaultAccount(ctx, c.get('scope'), c.req.valid('param').id)), 200),
  );
}

/**
 * POST /v1/accounts/{id}/test-email: the round trip takes seconds, so it runs
 * on after the answer; the account turns active when the mail comes back
 * through our MX (or failing), announced by account.status_changed.
 */
function testEmailRoute(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/accounts/{id}/test-email',
      security,
      request: { params: NumericId },
      responses: {
        202: json(TestEmailStartedSchema, 'sent on its way; watch account.status_changed (or GET the account) for active or failing'),
        404: problem('no such account'),
        409: problem('its previous test email is still on its way (one at a time per account)'),
      },
    }),
    async (c) => {
      // Out of reach is not found, and one already on its way a conflict, before anything is sent.
      const { account, done } = await startAccountTestEmail(ctx, c.get('scope'), c.req.valid('param').id, {
        timeoutMs: ctx.config.checks.forwardingTimeoutMs,
      });
      done.catch((err: unknown) => ctx.log.warn({ err, accountId: account.id }, 'the test email of an account could not be sent'));
      return c.json(
        {
          accountId: account.id,
          status: account.status,
          detail: "the test email is on its way to the account's own reply address; the account turns active when it comes back through our MX",
        },
        202,
      );
    },
  );
}

export function accountRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  addRoute(app, deps);
  showRoute(app, deps);
  editRoute(app, deps);
  removeRoute(app, deps);
  defaultRoute(app, deps);
  testEmailRoute(app, deps);
}
