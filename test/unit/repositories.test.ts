// The storage boundary over SQLite: promised repositories, and transactions that
// own the connection while they run (others wait, nobody sees half of one).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { createContext, type Context } from '../../src/runtime/context.ts';
import { createRepositories } from '../../src/store/index.ts';
import { seedTenants, tempDir, testConfig } from '../helpers/server.ts';

let ctx: Context;
beforeEach(async () => {
  ctx = await createContext(testConfig(tempDir()), { log: createLogger('silent') });
  await seedTenants(ctx);
});
afterEach(() => ctx.close());

const candidate = (externalId: string) => ({ externalId, name: externalId, emails: [`${externalId}@candidate.example`] });
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('repositories over SQLite', () => {
  it('answer with promises, and a failing call rejects instead of throwing', async () => {
    const pending = ctx.candidates.upsert('acme', candidate('c-1'));
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).created).toBe(true);
    const refused = ctx.candidates.upsert('no-such-tenant', candidate('c-2'));
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toThrow(/no-such-tenant/);
  });

  it('keep an open transaction to itself: an outsider waits for the commit and never reads half of it', async () => {
    let outsiderSaw: number | null = null;
    let resume = (): void => {};
    const paused = new Promise<void>((resolve) => (resume = resolve));
    const work = ctx.transaction(async (tx) => {
      await tx.candidates.upsert('acme', candidate('c-1'));
      await paused; // the transaction stays open across real waits
      await tx.candidates.upsert('acme', candidate('c-2'));
    });
    await tick();
    const outsider = ctx.candidates.list('acme').then((rows) => (outsiderSaw = rows.length));
    await tick();
    expect(outsiderSaw).toBeNull(); // still waiting
    resume();
    await work;
    await outsider;
    expect(outsiderSaw).toBe(2);
  });

  it('roll back everything when the work throws, and let the next caller in', async () => {
    await expect(
      ctx.transaction(async (tx) => {
        await tx.candidates.upsert('acme', candidate('c-1'));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await ctx.candidates.list('acme')).toEqual([]);
    await ctx.candidates.upsert('acme', candidate('c-3'));
    expect((await ctx.candidates.list('acme')).map((c) => c.externalId)).toEqual(['c-3']);
  });

  it('run concurrent transactions one after another, nested ones inside the outer, over every repository set of the connection', async () => {
    const second = createRepositories(ctx.db, { dataDir: ctx.config.data.dir, now: () => new Date() });
    const order: string[] = [];
    const one = ctx.transaction(async (tx) => {
      order.push('one:start');
      await tick();
      await tx.transaction(async (inner) => inner.candidates.upsert('acme', candidate('c-1')));
      order.push('one:end');
    });
    const two = second.transaction(async (tx) => {
      order.push('two:start');
      await tx.candidates.upsert('acme', candidate('c-2'));
      order.push('two:end');
    });
    await Promise.all([one, two]);
    expect(order).toEqual(['one:start', 'one:end', 'two:start', 'two:end']);
    expect(await ctx.candidates.list('acme')).toHaveLength(2);
  });
});
