// /v1/candidates: list (cursor pages) or search, upsert one, bulk upsert for syncing, delete.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { importCandidates, removeCandidate, searchCandidates, upsertCandidate } from '../../operations/index.ts';
import { InvalidError } from '../../errors.ts';
import { candidateJson } from '../../views/index.ts';
import type { ApiEnv, ApiDeps } from '../deps.ts';
import { BulkCandidatesSchema, BulkResultSchema, CandidateInputSchema, CandidateSchema, page, PageQuery } from '../schemas.ts';
import { json, problem, security } from './shared.ts';
import { decodeCursor, encodeCursor, tenantIn, tenantNamed } from './scope.ts';

const ExternalId = z.object({
  externalId: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'externalId', in: 'path' } }),
});
const TenantQuery = z.object({ tenant: z.string().max(100).optional() });

const ListQuery = PageQuery.extend(TenantQuery.shape).extend({
  q: z.string().min(1).max(200).optional().openapi({
    description:
      'search instead of listing: the candidates whose name, address or external id has every word, best first (an exact external id first), at most 20 and at most limit, on one page (nextCursor null)',
  }),
});

/** GET /v1/candidates: by external id, a page at a time; with q, the search the console's filing form uses. */
function listCandidates(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/candidates',
      security,
      request: { query: ListQuery },
      responses: {
        200: json(page(CandidateSchema, 'CandidatePage'), 'candidates by external id, or with q the best matches first'),
        400: problem('q with a cursor'),
        404: problem('unknown tenant'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const tenant = await tenantIn(ctx, c.get('scope'), q.tenant);
      if (q.q !== undefined) {
        if (q.cursor !== undefined) throw new InvalidError('a search (q) is one page: it takes no cursor', 'cursor');
        const found = await searchCandidates(ctx, c.get('scope'), tenant.slug, q.q, Math.min(q.limit, 20));
        return c.json({ items: found.map(candidateJson), nextCursor: null }, 200);
      }
      const items = await ctx.candidates.page(tenant.id, decodeCursor(q.cursor), q.limit + 1);
      const more = items.length > q.limit;
      const shown = items.slice(0, q.limit);
      return c.json({ items: shown.map(candidateJson), nextCursor: more ? encodeCursor(shown[shown.length - 1]?.externalId ?? '') : null }, 200);
    },
  );
}

/** PUT /v1/candidates/{externalId}: create or replace one. */
function putCandidate(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/candidates/{externalId}',
      security,
      request: { params: ExternalId, body: { content: { 'application/json': { schema: CandidateInputSchema } }, required: true } },
      responses: {
        200: json(CandidateSchema, 'updated'),
        201: json(CandidateSchema, 'created'),
        400: problem('invalid candidate'),
        404: problem('unknown tenant'),
      },
    }),
    async (c) => {
      const { externalId } = c.req.valid('param');
      const body = c.req.valid('json');
      const { candidate, created } = await upsertCandidate(ctx, c.get('scope'), tenantNamed(c.get('scope'), body.tenant), {
        externalId,
        name: body.name,
        emails: body.emails,
      });
      return c.json(candidateJson(candidate), created ? 201 : 200);
    },
  );
}

/** POST /v1/candidates/bulk: sync up to 1000, written in chunks by the store thread. */
function bulkCandidates(app: OpenAPIHono<ApiEnv>, { ctx, upsertCandidates }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/candidates/bulk',
      security,
      request: { body: { content: { 'application/json': { schema: BulkCandidatesSchema } }, required: true } },
      responses: {
        200: json(BulkResultSchema, 'what was created, updated and rejected (with reasons); valid rows are stored even when others are rejected'),
        404: problem('unknown tenant'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      // Each chunk is written in the store thread's next transaction beside the intake
      // (no lock to wait for, no long turn on this thread, which also runs SMTP).
      // Retrying a sync is safe: it upserts.
      const result = await importCandidates(ctx, c.get('scope'), {
        tenant: tenantNamed(c.get('scope'), body.tenant),
        rows: body.candidates,
        write: upsertCandidates,
      });
      return c.json(result, 200);
    },
  );
}

/** DELETE /v1/candidates/{externalId}. */
function deleteCandidate(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/candidates/{externalId}',
      security,
      request: { params: ExternalId, query: TenantQuery },
      responses: { 204: { description: 'deleted' }, 404: problem('no such candidate') },
    }),
    async (c) => {
      await removeCandidate(ctx, c.get('scope'), tenantNamed(c.get('scope'), c.req.valid('query').tenant), c.req.valid('param').externalId);
      return c.body(null, 204);
    },
  );
}

export function candidateRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  listCandidates(app, deps);
  putCandidate(app, deps);
  bulkCandidates(app, deps);
  deleteCandidate(app, deps);
}
