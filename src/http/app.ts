// The HTTP API: hono with zod-openapi, so the schemas that validate requests
// also produce /openapi.json. Bearer tokens per tenant (stored hashed), errors
// as RFC 9457 problem documents, cursor pagination, health and metrics.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { DomainError } from '../errors.ts';
import type { ApiDeps, ApiEnv } from './deps.ts';
import { RateLimiter } from '../net/index.ts';
import { HttpProblem, PROBLEM_TYPES, problemOf, problemResponse } from './problem.ts';
import { consoleRoutes } from '../console/index.ts';
import { isSignedAttachmentRequest } from './routes/messages.ts';
import { registerWebhookEvents } from './webhook-events.ts';
import {
  accountRoutes,
  candidateRoutes,
  conversationRoutes,
  inboxRoutes,
  messageRoutes,
  oauthRoutes,
  relayRoutes,
  scopeOf,
  tenantRoutes,
  webhookRoutes,
} from './routes/index.ts';

/** Invalid input, domain errors and everything unexpected as RFC 9457 problems. */
function answerProblems(app: OpenAPIHono<ApiEnv>, ctx: ApiDeps['ctx']): void {
  app.onError((err, c) => {
    if (err instanceof HttpProblem) return problemResponse(c, err.problem);
    if (err instanceof DomainError) return problemResponse(c, problemOf(err));
    if (err instanceof HTTPException) {
      const type = err.status === 415 ? PROBLEM_TYPES.unsupportedMedia : PROBLEM_TYPES.badRequest;
      return problemResponse(c, {
        type,
        title: err.status === 415 ? 'Unsupported media type' : 'Bad request',
        status: err.status,
        detail: err.message || 'the request could not be read; send JSON with Content-Type: application/json',
      });
    }
    ctx.log.error({ err, path: c.req.path }, 'HTTP API request failed');
    return problemResponse(c, {
      type: PROBLEM_TYPES.internal,
      title: 'Internal error',
      status: 500,
      detail: 'the request failed on the server; the log has the details',
    });
  });
  app.notFound((c) =>
    problemResponse(c, { type: PROBLEM_TYPES.notFound, title: 'Not found', status: 404, detail: `no route ${c.req.method} ${c.req.path} (see /openapi.json)` }),
  );
}

/** /healthz, /readyz and /metrics: no token needed. */
function healthRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { ctx } = deps;
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (!(await ctx.gauges.reachable())) return c.json({ status: 'database unavailable' }, 503);
    return deps.ready() ? c.json({ status: 'ready' }) : c.json({ status: 'not ready' }, 503);
  });
  app.get('/metrics', async (c) => c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));
}

/** Every /v1 request: a known token (its scope set on the request), within its rate. */
function requireToken(app: OpenAPIHono<ApiEnv>, ctx: ApiDeps['ctx']): void {
  // Per token, so one busy client (or a stolen token) cannot take the main thread, which also runs SMTP intake.
  const limiter = new RateLimiter<number>(ctx.config.http.rateLimitPerMinute, () => ctx.clock.now().getTime());
  app.use('/v1/*', async (c, next) => {
    // A signed attachment URL (from a webhook) is its own credential: the route checks its signature.
    if (isSignedAttachmentRequest(c.req.path, c.req.query('signature'))) return next();
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const found = token ? await ctx.apiTokens.authenticate(token, ctx.clock.now().toISOString()) : null;
    if (!found) {
      c.header('www-authenticate', 'Bearer realm="mailroom"');
      return problemResponse(c, {
        type: PROBLEM_TYPES.unauthorized,
        title: 'Unauthorized',
        status: 401,
        detail: token ? 'this token is unknown or revoked' : 'send Authorization: Bearer <token> (make one with `npx mailroom tokens create --tenant T`)',
      });
    }
    const retryAfter = limiter.take(found.id);
    if (retryAfter > 0) {
      c.header('retry-after', String(retryAfter));
      return problemResponse(c, {
        type: PROBLEM_TYPES.rateLimited,
        title: 'Too many requests',
        status: 429,
        detail: `this token may make ${ctx.config.http.rateLimitPerMinute} requests a minute (http.rateLimitPerMinute); try again in ${retryAfter} s`,
      });
    }
    c.set('scope', await scopeOf(ctx, found));
    await next();
  });
}

/** Bodies are read only up to the limit: a stranger's endless upload is cut off, not buffered. */
function limitBodies(app: OpenAPIHono<ApiEnv>, ctx: ApiDeps['ctx']): void {
  const tooLarge = (limit: number) => (c: Context) =>
    problemResponse(c, {
      type: PROBLEM_TYPES.tooLarge,
      title: 'Request body too large',
      status: 413,
      detail: `the body is larger than ${limit} bytes (http.maxBodyBytes${limit > ctx.config.http.maxBodyBytes ? ' x 10 for the bulk upsert' : ''})`,
    });
  const bulkLimit = ctx.config.http.maxBodyBytes * 10;
  const normal = bodyLimit({ maxSize: ctx.config.http.maxBodyBytes, onError: tooLarge(ctx.config.http.maxBodyBytes) });
  const bulk = bodyLimit({ maxSize: bulkLimit, onError: tooLarge(bulkLimit) });
  app.use('/v1/*', (c, next) => (c.req.path === '/v1/candidates/bulk' ? bulk(c, next) : normal(c, next)));
  // The console's forms are read whole too (sign-in comes from strangers): the same limit.
  app.use('/console/*', normal);
}

export function createApi(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const { ctx } = deps;
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const errors = result.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
      return problemResponse(c, {
        type: PROBLEM_TYPES.validation,
        title: 'Invalid request',
        status: 400,
        detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
        errors,
      });
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'a tenant token from `npx mailroom tokens create --tenant T` (or POST /v1/tenants/{slug}/tokens), or a platform token from `npx mailroom tokens create --platform`',
  });
  answerProblems(app, ctx);
  healthRoutes(app, deps);
  requireToken(app, ctx);
  limitBodies(app, ctx);
  candidateRoutes(app, deps);
  messageRoutes(app, deps);
  conversationRoutes(app, deps);
  relayRoutes(app, deps);
  oauthRoutes(app, deps);
  accountRoutes(app, deps);
  inboxRoutes(app, deps);
  webhookRoutes(app, deps);
  tenantRoutes(app, deps);
  registerWebhookEvents(app);
  app.route('/console', consoleRoutes(ctx));
  // The address people are given is the server's own: it opens the console.
  app.get('/', (c) => c.redirect('/console/unassigned', 302));
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'mailroom API',
      version: '1',
      description:
        'Candidates, messages and the unassigned queue, sending, accounts, inboxes and webhooks of one tenant (and its subcompanies) with a tenant token; with a platform token, the tenants themselves and any tenant named by `?tenant=` or a `tenant` field.',
    },
  });
  return app;
}
