// /v1/tenants: the platform's customers over the API. A platform token creates,
// lists, changes and removes tenants and mints their tokens; a tenant token
// reads and changes its own tenant and its subcompanies and adds subcompanies
// (the same operations and rules as `mailroom tenants` at the command line).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  addTenant,
  checkTenantSetup,
  createApiToken,
  listTenants,
  removeTenant,
  requirePlatform,
  revokeApiToken,
  startTenantCheck,
  tenantCheckWithin,
  tenantWithin,
  updateTenant,
} from '../../operations/index.ts';
import type { CheckReport } from '../../checks/index.ts';
import type { Tenant, TenantCheck } from '../../store/index.ts';
import { tenantJson } from '../../views/index.ts';
import type { ApiDeps, ApiEnv } from '../deps.ts';
import { idempotent } from '../idempotency.ts';
import {
  CheckReportSchema,
  CheckRequestSchema,
  page,
  PageQuery,
  TenantCheckSchema,
  TenantInputSchema,
  TenantSchema,
  TenantUpdateSchema,
  TokenCreatedSchema,
  TokenInputSchema,
} from '../schemas.ts';
import { decodeCursor, encodeCursor } from './scope.ts';
import { json, problem, security } from './shared.ts';

const Slug = z.object({
  slug: z
    .string()
    .min(1)
    .max(63)
    .openapi({ param: { name: 'slug', in: 'path' } }),
});

const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });

export function tenantRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  createTenant(app, deps);
  readTenants(app, deps);
  changeTenant(app, deps);
  deleteTenant(app, deps);
  tenantTokens(app, deps);
  tenantChecks(app, deps);
}

/** POST /v1/tenants: a tenant, or a subcompany with `parent`; idempotent with an Idempotency-Key. */
function createTenant(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tenants',
      security,
      request: {
        ...body(TenantInputSchema),
        headers: z.object({
          'idempotency-key': z
            .string()
            .max(255)
            .optional()
            .openapi({ description: 'a key of your choosing (e.g. a UUID): the same key with the same body is answered as the first time, for 24 hours' }),
        }),
      },
      responses: {
        201: json(TenantSchema, 'created; it receives mail at its reply domains and forwarding addresses at once'),
        400: problem('invalid input (a bad slug, domain or address; an address another tenant has)'),
        403: problem('a tenant token names no parent (only a platform token adds a top-level tenant)'),
        404: problem('no such parent within reach'),
        409: problem('the Idempotency-Key was used with another body, or its first request is still running'),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      // A replayed answer is the kept bytes, not a typed c.json(): the shapes are the ones declared above.
      return (await idempotent(c, ctx, input, async () => {
        const tenant = await addTenant(ctx, c.get('scope'), {
          slug: input.slug,
          domains: input.domains,
          replyDomains: input.replyDomains,
          forwardAddresses: input.forwardAddresses,
          ...(input.inboxes ? { inboxes: input.inboxes } : {}),
          ...(input.parent ? { parent: input.parent } : {}),
          ...(input.name ? { name: input.name } : {}),
        });
        return { status: 201, body: tenantJson(tenant) };
      })) as never;
    },
  );
}

/** GET /v1/tenants (cursor pages by slug) and GET /v1/tenants/{slug}. */
function readTenants(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tenants',
      security,
      request: { query: PageQuery },
      responses: { 200: json(page(TenantSchema, 'TenantPage'), 'the tenants within reach, by slug') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const list = await listTenants(ctx, c.get('scope'), { after: decodeCursor(q.cursor), limit: q.limit + 1 });
      const items = list.slice(0, q.limit);
      return c.json({ items: items.map(tenantJson), nextCursor: list.length > q.limit ? encodeCursor(items[items.length - 1]?.slug ?? '') : null }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tenants/{slug}',
      security,
      request: { params: Slug },
      responses: { 200: json(TenantSchema, 'the tenant'), 404: problem('no such tenant within reach') },
    }),
    async (c) => c.json(tenantJson(await tenantWithin(ctx, c.get('scope'), c.req.valid('param').slug)), 200),
  );
}

/** PATCH /v1/tenants/{slug}: each list given replaces that list. */
function changeTenant(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/tenants/{slug}',
      security,
      request: { params: Slug, ...body(TenantUpdateSchema) },
      responses: {
        200: json(TenantSchema, 'changed; new routes are taken at once'),
        400: problem('invalid input'),
        404: problem('no such tenant within reach'),
      },
    }),
    async (c) => {
      const change = c.req.valid('json');
      return c.json(tenantJson(await updateTenant(ctx, c.get('scope'), c.req.valid('param').slug, change)), 200);
    },
  );
}

/** DELETE /v1/tenants/{slug}[?purge=true]. */
function deleteTenant(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/tenants/{slug}',
      security,
      request: {
        params: Slug,
        query: z.object({
          purge: z
            .enum(['true', 'false'])
            .default('false')
            .openapi({ description: 'also remove its messages (rows, raw bytes, attachments) and its subcompanies' }),
        }),
      },
      responses: {
        204: { description: 'removed, with its routes, candidates, accounts, inboxes, webhooks and tokens' },
        403: problem('a tenant token removes only subcompanies under its own tenant'),
        404: problem('no such tenant within reach'),
        409: problem('it has messages or subcompanies (purge=true removes them)'),
      },
    }),
    async (c) => {
      await removeTenant(ctx, c.get('scope'), c.req.valid('param').slug, { purge: c.req.valid('query').purge === 'true' });
      return c.body(null, 204);
    },
  );
}

/** POST /v1/tenants/{slug}/tokens and DELETE /v1/tenants/{slug}/tokens/{id}: a platform token's. */
function tenantTokens(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tenants/{slug}/tokens',
      security,
      request: { params: Slug, ...body(TokenInputSchema) },
      responses: {
        201: json(TokenCreatedSchema, 'the token, shown only in this answer'),
        403: problem('only a platform token mints tokens'),
        404: problem('no such tenant'),
      },
    }),
    async (c) => {
      requirePlatform(c.get('scope'), 'mints tokens');
      const { token, info } = await createApiToken(ctx, c.get('scope'), { tenant: c.req.valid('param').slug, name: c.req.valid('json').name });
      return c.json({ id: info.id, token, tenant: info.tenant ?? '', name: info.name, prefix: info.prefix, createdAt: info.createdAt }, 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/tenants/{slug}/tokens/{id}',
      security,
      request: {
        params: Slug.extend({
          id: z.coerce
            .number()
            .int()
            .positive()
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: {
        204: { description: 'revoked at once' },
        403: problem('only a platform token revokes tokens'),
        404: problem('no live token of this tenant'),
      },
    }),
    async (c) => {
      requirePlatform(c.get('scope'), 'revokes tokens');
      const { slug, id } = c.req.valid('param');
      await revokeApiToken(ctx, c.get('scope'), id, slug);
      return c.body(null, 204);
    },
  );
}

const checkJson = (check: TenantCheck, tenant: string) => ({
  id: check.id,
  tenant,
  state: check.state,
  createdAt: check.createdAt,
  finishedAt: check.finishedAt,
  url: `/v1/tenants/${tenant}/checks/${check.id}`,
  report: check.report ? (JSON.parse(check.report) as CheckReport) : null,
  error: check.error,
});

/** POST /v1/tenants/{slug}/check (200 with the findings, or 202 to poll when forwarding tests are sent) and its poll. */
function tenantChecks(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tenants/{slug}/check',
      security,
      request: { params: Slug, body: { content: { 'application/json': { schema: CheckRequestSchema } }, required: false } },
      responses: {
        200: json(CheckReportSchema, 'the findings, each with what to change (the same as `tenants check --json` and the console checklist)'),
        202: json(TenantCheckSchema, 'forwarding tests take time: poll the url (Location) until state is done'),
        404: problem('no such tenant within reach'),
        409: problem('a check of this tenant with forwarding tests is still running (its url is in the detail)'),
      },
    }),
    async (c) => {
      const slug = c.req.valid('param').slug;
      // No body is the plain check.
      const options = CheckRequestSchema.parse(c.req.valid('json') ?? {});
      if (!options.sendTests) {
        const { report } = await checkTenantSetup(ctx, c.get('scope'), slug, { sendTests: false, inboxes: [], progress: () => undefined });
        return c.json(report, 200);
      }
      const tenant: Tenant = await tenantWithin(ctx, c.get('scope'), slug);
      const check = await startTenantCheck(ctx, c.get('scope'), tenant.slug, { sendTests: true, inboxes: options.inboxes });
      const answer = checkJson(check, tenant.slug);
      c.header('location', answer.url);
      return c.json(answer, 202);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tenants/{slug}/checks/{id}',
      security,
      request: {
        params: Slug.extend({
          id: z
            .string()
            .max(64)
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: { 200: json(TenantCheckSchema, 'the check: running, done (with its report) or failed'), 404: problem('no such check of this tenant') },
    }),
    async (c) => {
      const { slug, id } = c.req.valid('param');
      const tenant = await tenantWithin(ctx, c.get('scope'), slug);
      return c.json(checkJson(await tenantCheckWithin(ctx, c.get('scope'), tenant.slug, id), tenant.slug), 200);
    },
  );
}
