// The storage boundary on both backends: repositories answer with promises, and
// nobody sees half of a transaction (on SQLite others wait for it; on
// PostgreSQL they read what was committed before it), and a transaction inside
// one is a savepoint.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { createRepositories } from '../../src/store/index.ts';
import { seedTenants } from '../helpers/server.ts';

import { BACKENDS, contextOn } from '../helpers/backends.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  beforeEach(async () => {
    ctx = await contextOn(backend);
    await seedTenants(ctx);
  });
  afterEach(() => ctx.close());

  const candidate = (externalId: string) => ({ externalId, name: externalId, emails: [`${externalId}@candidate.example`] });
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  describe('repositories', () => {
    it('answer with promises, and a failing call rejects instead of throwing', async () => {
      const pending = ctx.candidates.upsert('acme', candidate('c-1'));
      expect(pending).toBeInstanceOf(Promise);
      expect((await pending).created).toBe(true);
      const refused = ctx.candidates.upsert('no-such-tenant', candidate('c-2'));
      expect(refused).toBeInstanceOf(Promise);
      await expect(refused).rejects.toThrow(/no-such-tenant/);
    });

    it('keep an open transaction to itself: an outsider never reads half of it', async () => {
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
      await new Promise((resolve) => setTimeout(resolve, 50));
      // SQLite: one connection, so the outsider waits. PostgreSQL: it reads on another connection, without the open transaction's rows.
      expect(outsiderSaw).toBe(backend === 'sqlite' ? null : 0);
      resume();
      await work;
      await outsider;
      // Once it commits, everyone sees all of it.
      expect(backend === 'sqlite' ? outsiderSaw : (await ctx.candidates.list('acme')).length).toBe(2);
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

    it.runIf(backend === 'sqlite')(
      'run concurrent transactions one after another, nested ones inside the outer, over every repository set of the connection',
      async () => {
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
      },
    );
  });
  it('undo only a failed inner transaction (a savepoint), and keep the outer one going', async () => {
    await ctx.transaction(async (tx) => {
      await tx.candidates.upsert('acme', candidate('c-1'));
      await expect(
        tx.transaction(async (inner) => {
          await inner.candidates.upsert('acme', candidate('c-2'));
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await tx.candidates.upsert('acme', candidate('c-3'));
    });
    expect((await ctx.candidates.list('acme')).map((c) => c.externalId)).toEqual(['c-1', 'c-3']);
  });

  // PostgreSQL keeps a failed transaction open, refusing every statement until ROLLBACK: SQLite alone ends one under its caller.
  it.skipIf(backend !== 'sqlite')(
    'refuse an inner transaction once SQLite rolled the outer one back, so nothing after it is stored as if it were the whole',
    async () => {
      const db = (ctx.sql as unknown as { db: import('better-sqlite3').Database }).db;
      await expect(
        ctx.transaction(async (tx) => {
          await tx.candidates.upsert('acme', candidate('c-1'));
          db.exec('ROLLBACK'); // what SQLite does on its own after an I/O error or running out of memory
          await tx.transaction((inner) => inner.candidates.upsert('acme', candidate('c-2')));
        }),
      ).rejects.toThrow(/rolled back/);
      expect(await ctx.candidates.list('acme')).toEqual([]);
      expect(db.inTransaction).toBe(false);
    },
  );

  it('without savepoints, make an inner transaction part of the outer one (a batch written at once, redone by its caller when it fails)', async () => {
    await ctx.sql.transaction(
      async () => {
        await ctx.candidates.upsert('acme', candidate('c-1'));
        await expect(
          ctx.transaction(async (inner) => {
            await inner.candidates.upsert('acme', candidate('c-2'));
            throw new Error('inner fails');
          }),
        ).rejects.toThrow('inner fails');
      },
      { savepoints: false },
    );
    // No savepoint undid c-2: the caller of such a transaction must not go on after a failure inside it.
    expect((await ctx.candidates.list('acme')).map((c) => c.externalId)).toEqual(['c-1', 'c-2']);
    await expect(
      ctx.sql.transaction(
        async () => {
          await ctx.candidates.upsert('acme', candidate('c-3'));
          await ctx.transaction(async () => {
            throw new Error('inner fails');
          });
        },
        { savepoints: false },
      ),
    ).rejects.toThrow('inner fails');
    expect((await ctx.candidates.list('acme')).map((c) => c.externalId)).toEqual(['c-1', 'c-2']);
  });

  it('tell of work written once its transaction commits, never when it rolls back, and of events only when an endpoint wants them', async () => {
    const heard: string[] = [];
    ctx.sql.work.on((kind) => heard.push(kind));
    const acme = (await ctx.tenants.get('acme'))!;
    // No endpoint yet: an event is nothing to deliver.
    await ctx.events.record(acme.id, 'message.dismissed', 'message:w', {}, new Date());
    expect(heard).toEqual([]);
    await ctx.webhooks.add(acme.id, 'https://hooks.example/in', null, 'sealed', new Date().toISOString());
    await expect(
      ctx.transaction(async (tx) => {
        await tx.events.record(acme.id, 'message.dismissed', 'message:x', {}, new Date());
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(heard).toEqual([]);
    await ctx.transaction(async (tx) => {
      await tx.events.record(acme.id, 'message.dismissed', 'message:y', {}, new Date());
      expect(heard).toEqual([]);
    });
    expect(heard).toEqual(['events']);
    await ctx.events.record(acme.id, 'message.dismissed', 'message:z', {}, new Date());
    expect(heard).toEqual(['events', 'events']);
  });
});
