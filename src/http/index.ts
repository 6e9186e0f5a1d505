// The HTTP API the platform calls (hono with zod-openapi): bearer tokens scoped
// to a tenant and its subcompanies, routes under routes/ that call the
// operations layer, RFC 9457 problem documents for every error, /metrics,
// /healthz and /readyz, and the OpenAPI document generated from the schemas.
export { createApi } from './app.ts';
export type { ApiDeps, ApiEnv } from './deps.ts';
export { startHttpServer, type HttpServer } from './server.ts';
export { Metrics } from './metrics.ts';
export { problemOf, PROBLEM_TYPES, type Problem } from './problem.ts';
