// The state the tenant API keeps in the database, on both backends: an
// Idempotency-Key's claim, its answer and its expiry after a day; a background
// tenant check whose node stopped, reported as failed once past its deadline.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { createPlatformToken, EVERY_TENANT, tenantCheckWithin } from '../../src/operations/index.ts';
import { seedTenants } from '../helpers/server.ts';
import { BACKENDS, contextOn } from '../helpers/backends.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  let now = new Date('2026-03-02T09:00:00Z');
  beforeEach(async () => {
    now = new Date('2026-03-02T09:00:00Z');
    ctx = await contextOn(backend, {}, { clock: { now: () => now } });
    await seedTenants(ctx);
  });
  afterEach(() => ctx.close());

  it('claims a key once, replays its answer for the same request only, and forgets it after 24 hours', async () => {
    const { info } = await createPlatformToken(ctx, EVERY_TENANT, 'platform');
    const { info: other } = await createPlatformToken(ctx, EVERY_TENANT, 'other');
    expect(await ctx.idempotency.claim(info.id, 'k1', 'hash-a', now)).toEqual({ kind: 'new' });
    expect(await ctx.idempotency.claim(info.id, 'k1', 'hash-a', now)).toEqual({ kind: 'running' });
    expect(await ctx.idempotency.claim(info.id, 'k1', 'hash-b', now)).toEqual({ kind: 'mismatch' });
    await ctx.idempotency.complete(info.id, 'k1', 201, '{"slug":"x"}');
    expect(await ctx.idempotency.claim(info.id, 'k1', 'hash-a', now)).toEqual({ kind: 'replay', status: 201, body: '{"slug":"x"}' });
    expect(await ctx.idempotency.claim(other.id, 'k1', 'hash-b', now)).toEqual({ kind: 'new' });

    now = new Date(now.getTime() + 24 * 3_600_000 - 1000);
    expect((await ctx.idempotency.claim(info.id, 'k1', 'hash-b', now)).kind).toBe('mismatch');
    now = new Date(now.getTime() + 2000);
    expect(await ctx.idempotency.claim(info.id, 'k1', 'hash-b', now)).toEqual({ kind: 'new' });

    // A request that failed on the server frees its key; a finished one stays.
    expect(await ctx.idempotency.claim(info.id, 'k2', 'hash-a', now)).toEqual({ kind: 'new' });
    await ctx.idempotency.release(info.id, 'k2');
    expect(await ctx.idempotency.claim(info.id, 'k2', 'hash-a', now)).toEqual({ kind: 'new' });
  });

  it('reports a background check still running past its deadline as failed (its node stopped)', async () => {
    const acme = (await ctx.tenants.get('acme'))!;
    await ctx.tenantChecks.start('chk_lost', acme.id, now.toISOString(), new Date(now.getTime() + 60_000).toISOString());
    expect((await tenantCheckWithin(ctx, EVERY_TENANT, 'acme', 'chk_lost')).state).toBe('running');
    await expect(tenantCheckWithin(ctx, EVERY_TENANT, 'globex', 'chk_lost')).rejects.toThrow(/no check/);
    now = new Date(now.getTime() + 61_000);
    expect(await tenantCheckWithin(ctx, EVERY_TENANT, 'acme', 'chk_lost')).toMatchObject({ state: 'failed', error: expect.stringMatching(/start it again/) });
  });
});
