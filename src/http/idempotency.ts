// Idempotency-Key on the API's creates (as Stripe does it): a retried request
// with the same key and the same body gets the first answer again, with its
// status; the same key with another body is a conflict. The key and answer are
// kept in the database per token for a day (store/idempotency.ts), so a retry
// that lands on another node is answered alike.
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConflictError, DomainError, InvalidError } from '../errors.ts';
import type { Context as AppContext } from '../context.ts';
import type { ApiEnv } from './deps.ts';
import { problemOf } from './problem.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Answers with `run`'s JSON, or, for a key seen before, with the answer kept
 * for it. A domain error is kept too (the same request fails the same way); an
 * unexpected one frees the key, so the retry runs again.
 */
export async function idempotent(
  c: Context<ApiEnv>,
  ctx: AppContext,
  request: unknown,
  run: () => Promise<{ status: 200 | 201; body: unknown }>,
): Promise<Response> {
  const key = c.req.header(IDEMPOTENCY_HEADER);
  if (key === undefined) {
    const { status, body } = await run();
    return c.json(body, status);
  }
  if (key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key))
    throw new InvalidError('Idempotency-Key must be 1 to 255 printable characters without spaces', 'Idempotency-Key');
  const tokenId = c.get('scope').tokenId;
  const hash = createHash('sha256')
    .update(`${c.req.method} ${c.req.path}\n${JSON.stringify(request)}`)
    .digest('hex');
  const claim = await ctx.idempotency.claim(tokenId, key, hash, ctx.clock.now());
  if (claim.kind === 'mismatch') throw new ConflictError('this Idempotency-Key was used with another request: a new request needs a new key');
  if (claim.kind === 'running') throw new ConflictError('the first request with this Idempotency-Key is still being answered: retry shortly');
  if (claim.kind === 'replay') {
    const type = claim.status >= 400 ? 'application/problem+json' : 'application/json';
    return c.body(claim.body, claim.status as ContentfulStatusCode, { 'content-type': type, 'idempotent-replayed': 'true' });
  }
  try {
    const { status, body } = await run();
    await ctx.idempotency.complete(tokenId, key, status, JSON.stringify(body));
    return c.json(body, status);
  } catch (err) {
    if (err instanceof DomainError) {
      const problem = problemOf(err);
      await ctx.idempotency.complete(tokenId, key, problem.status, JSON.stringify({ ...problem, instance: c.req.path }));
    } else await ctx.idempotency.release(tokenId, key);
    throw err;
  }
}
