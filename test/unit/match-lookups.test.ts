// Matching's lookups for a group of messages asked at once: each kind of
// question is one statement for the whole group (a round trip on PostgreSQL),
// and every message still gets the answer to its own question, scoped to its
// tenant chain.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { MatchLookups } from '../../src/store/match-lookups.ts';
import { seedTenants } from '../helpers/server.ts';
import { BACKENDS, contextOn } from '../helpers/backends.ts';
import { spyOn } from '../helpers/sql-spy.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  beforeEach(async () => {
    ctx = await contextOn(backend);
    await seedTenants(ctx);
  });
  afterEach(() => ctx.close());

  it('answers a group’s candidates and routes with one statement of each kind, each message its own answer', async () => {
    const ids: Record<string, number> = {};
    for (const [tenant, name] of [
      ['acme', 'ann'],
      ['acme', 'bob'],
      ['globex', 'ann'],
    ] as const) {
      const c = await ctx.candidates.upsert(tenant, { externalId: `${tenant}-${name}`, name, emails: [`${name}@candidate.example`] });
      ids[`${tenant}-${name}`] = c.candidate.id;
    }
    const acme = (await ctx.tenants.get('acme'))!.id;
    const globex = (await ctx.tenants.get('globex'))!.id;
    const { sql, ran } = spyOn(ctx.sql);
    const count = (): number => ran.length;
    const lookups = new MatchLookups(sql);

    const found = await Promise.all([
      lookups.candidatesFor([acme], 'Ann@Candidate.example'),
      lookups.candidatesFor([acme], 'bob@candidate.example'),
      lookups.candidatesFor([globex], 'ann@candidate.example'),
      lookups.candidatesFor([globex], 'bob@candidate.example'),
      lookups.candidatesFor([acme], 'nobody@candidate.example'),
    ]);
    expect(found.map((list) => list.map((c) => c.id))).toEqual([[ids['acme-ann']], [ids['acme-bob']], [ids['globex-ann']], [], []]);
    expect(count()).toBe(1);

    const routes = await Promise.all([
      lookups.isForwardAddressOf(acme, 'acme-jobs@in.mailroom.test'),
      lookups.isForwardAddressOf(globex, 'acme-jobs@in.mailroom.test'),
      lookups.isOwnAddress('careers@replies.globex.com'),
      lookups.isOwnAddress('ann@candidate.example'),
    ]);
    expect(routes).toEqual([true, false, true, false]);
    expect(count()).toBe(2);

    // A later turn asks again: a statement of its own (nothing is kept between groups).
    expect(await lookups.candidatesFor([globex, acme], 'bob@candidate.example')).toEqual([{ id: ids['acme-bob'], externalId: 'acme-bob', name: 'bob' }]);
    expect(count()).toBe(3);
  });
});

describe('on sqlite, with the planner’s statistics of a large tenant', () => {
  let ctx: Context;
  beforeEach(async () => {
    ctx = await contextOn('sqlite');
    await seedTenants(ctx);
  });
  afterEach(() => ctx.close());

  it('searches a candidate by tenant and address together, not through every address of the tenant', async () => {
    const acme = (await ctx.tenants.get('acme'))!;
    const db = (ctx.sql as unknown as { db: import('better-sqlite3').Database }).db;
    const at = new Date().toISOString();
    const candidate = db.prepare('INSERT INTO candidates (tenant_id, external_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
    const email = db.prepare('INSERT INTO candidate_emails (candidate_id, tenant_id, email) VALUES (?, ?, ?)');
    const tenant = db.prepare('INSERT INTO tenants (slug, name, parent_id, created_at) VALUES (?, ?, NULL, ?)');
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++)
        email.run(candidate.run(acme.id, `c-${i}`, `Candidate ${i}`, at, at).lastInsertRowid, acme.id, `c${i}@candidate.example`);
      // Many small tenants beside the large one: the statistics then say a tenant has few addresses.
      for (let t = 0; t < 300; t++) {
        const small = tenant.run(`small-${t}`, `Small ${t}`, at).lastInsertRowid;
        for (let i = 0; i < 3; i++) email.run(candidate.run(small, `s-${i}`, `Small ${i}`, at, at).lastInsertRowid, small, `s${i}@small.example`);
      }
    })();
    // Statistics as PRAGMA optimize gathers them (an operator's maintenance, a copy of the database): with them, two IN lists let the planner search by tenant alone.
    db.pragma('optimize');
    const spied = spyOn(ctx.sql);
    const lookups = new MatchLookups(spied.sql);
    const byAddress = spied.prepared.find((text) => text.includes('candidate_emails e'))!;
    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN ${byAddress}`).all(JSON.stringify([acme.id]), JSON.stringify(['c5@candidate.example'])) as { detail: string }[]
    )
      .map((row) => row.detail)
      .join(' | ');
    expect(plan).toContain('candidate_emails_lookup (tenant_id=? AND email=?)');
    expect((await lookups.candidatesFor([acme.id], 'c5@candidate.example')).map((c) => c.externalId)).toEqual(['c-5']);
  });
});
