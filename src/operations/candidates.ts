// A tenant's candidates: one added or replaced by external id, and a sync of
// many (a file from the CLI, a bulk call from the platform) written in chunks,
// each chunk one transaction, so a long import never holds the write lock for
// long and valid rows are stored even when others are rejected.
import { NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { BatchUpsertResult, Candidate, CandidateInput } from '../store/index.ts';
import { tenantWithin, type Reach } from './reach.ts';

/** Rows per transaction: short, so intake's commits beside it are barely held up (docs/development.md, API load). */
export const IMPORT_CHUNK = 50;

/** Writes one chunk; the server hands its store thread's (the API runs on the SMTP thread), tools write on their own connection. */
export type CandidateChunkWriter = (tenant: string, rows: CandidateInput[]) => Promise<BatchUpsertResult>;

/** Adds the candidate, or replaces the one with the same external id. */
export async function upsertCandidate(
  ctx: Context,
  reach: Reach,
  tenantSlug: string,
  input: CandidateInput,
): Promise<{ candidate: Candidate; created: boolean }> {
  const tenant = await tenantWithin(ctx, reach, tenantSlug);
  return await ctx.candidates.upsert(tenant.slug, input);
}

export interface ImportRequest {
  tenant: string;
  rows: readonly CandidateInput[];
  write?: CandidateChunkWriter;
  /** Told after each chunk: how many rows of how many are done. */
  progress?: (done: number, total: number) => void;
}

/** Upserts every valid row by external id; the rejected ones come back with their index and reason. */
export async function importCandidates(ctx: Context, reach: Reach, request: ImportRequest): Promise<BatchUpsertResult> {
  const tenant = await tenantWithin(ctx, reach, request.tenant);
  const write: CandidateChunkWriter = request.write ?? (async (slug, rows) => await ctx.candidates.upsertBatch(slug, rows));
  const result: BatchUpsertResult = { created: 0, updated: 0, rejected: [] };
  for (let start = 0; start < request.rows.length; start += IMPORT_CHUNK) {
    const chunk = await write(tenant.slug, request.rows.slice(start, start + IMPORT_CHUNK));
    result.created += chunk.created;
    result.updated += chunk.updated;
    result.rejected.push(...chunk.rejected.map((r) => ({ ...r, index: r.index + start })));
    request.progress?.(Math.min(start + IMPORT_CHUNK, request.rows.length), request.rows.length);
  }
  return result;
}

/** Removes a candidate (the messages filed under them stay). */
export async function removeCandidate(ctx: Context, reach: Reach, tenantSlug: string, externalId: string): Promise<void> {
  const tenant = await tenantWithin(ctx, reach, tenantSlug);
  if (!(await ctx.candidates.remove(tenant.slug, externalId))) throw new NotFoundError(`no candidate "${externalId}" in tenant "${tenant.slug}"`, 'candidate');
}
