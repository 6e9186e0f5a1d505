// What the routes are handed: the context, the metrics, readiness and the
// candidate-sync writer (ApiDeps), and what hono carries on each request: the
// token's scope (ApiEnv). Kept apart from app.ts so route files import it
// without importing the app that mounts them.
import type { Context as AppContext } from '../context.ts';
import type { BatchUpsertResult, CandidateInput } from '../store/index.ts';
import type { Metrics } from './metrics.ts';
import type { Scope } from './routes/scope.ts';

export type ApiEnv = { Variables: { scope: Scope } };

export interface ApiDeps {
  ctx: AppContext;
  metrics: Metrics;
  /** Whether the server is ready for traffic (listening, not shutting down). */
  ready: () => boolean;
  /** Writes a chunk of a candidate sync; `serve` hands it to the store thread, so the API never contends with intake for the write lock. */
  upsertCandidates: (tenant: string, rows: CandidateInput[]) => Promise<BatchUpsertResult>;
}
