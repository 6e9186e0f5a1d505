import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { CandidateError } from '../../src/store/index.ts';
import { seedTenants } from '../helpers/server.ts';

import { BACKENDS, contextOn } from '../helpers/backends.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  beforeEach(async () => {
    ctx = await contextOn(backend);
    await seedTenants(ctx);
    await ctx.tenants.add({ slug: 'acme-de', parent: 'acme', domains: ['acme.de'], replyDomains: [], forwardAddresses: [] });
  });
  afterEach(() => ctx.close());

  const ids = async (tenant: string): Promise<number[]> => [(await ctx.tenants.get(tenant))?.id as number];

  describe('candidates', () => {
    it('stores normalized addresses and finds a candidate by any of them, case- and IDN-insensitively', async () => {
      const { candidate, created } = await ctx.candidates.upsert('acme', {
        externalId: 'c-1',
        name: 'Jane Doe',
        emails: ['Jane@Candidate.Example', 'jane@bücher.example'],
      });
      expect(created).toBe(true);
      expect(candidate.emails).toEqual(['jane@candidate.example', 'jane@xn--bcher-kva.example']);
      expect((await ctx.candidates.findByEmail(await ids('acme'), 'JANE@candidate.example')).map((c) => c.externalId)).toEqual(['c-1']);
      expect((await ctx.candidates.findByEmail(await ids('acme'), 'jane@BÜCHER.example')).map((c) => c.externalId)).toEqual(['c-1']);
    });

    it('upserts by external id, replacing name and addresses', async () => {
      await ctx.candidates.upsert('acme', { externalId: 'c-1', name: 'Jane', emails: ['old@candidate.example'] });
      const { candidate, created } = await ctx.candidates.upsert('acme', { externalId: 'c-1', name: 'Jane Doe', emails: ['new@candidate.example'] });
      expect(created).toBe(false);
      expect(candidate).toMatchObject({ name: 'Jane Doe', emails: ['new@candidate.example'] });
      expect(await ctx.candidates.findByEmail(await ids('acme'), 'old@candidate.example')).toEqual([]);
    });

    it('lets two candidates share an address, and keeps tenants apart', async () => {
      await ctx.candidates.upsert('acme', { externalId: 'c-1', name: 'A', emails: ['shared@family.example'] });
      await ctx.candidates.upsert('acme', { externalId: 'c-2', name: 'B', emails: ['shared@family.example'] });
      await ctx.candidates.upsert('globex', { externalId: 'g-1', name: 'G', emails: ['shared@family.example'] });
      expect((await ctx.candidates.findByEmail(await ids('acme'), 'shared@family.example')).map((c) => c.externalId)).toEqual(['c-1', 'c-2']);
      expect((await ctx.candidates.findByEmail(await ids('globex'), 'shared@family.example')).map((c) => c.externalId)).toEqual(['g-1']);
    });

    it('falls back from a subcompany to its parent when the subcompany has no match', async () => {
      await ctx.candidates.upsert('acme', { externalId: 'c-1', name: 'A', emails: ['jane@candidate.example'] });
      const chain = [(await ctx.tenants.get('acme-de'))?.id as number, (await ctx.tenants.get('acme'))?.id as number];
      expect((await ctx.candidates.findByEmail(chain, 'jane@candidate.example')).map((c) => c.tenant)).toEqual(['acme']);
    });

    it.each([
      [{ externalId: '', name: 'A', emails: ['a@b.example'] }, /external id is required/],
      [{ externalId: 'x', name: ' ', emails: ['a@b.example'] }, /a name is required/],
      [{ externalId: 'x', name: 'A', emails: [] }, /at least one email/],
      [{ externalId: 'x', name: 'A', emails: ['not-an-address'] }, /"not-an-address" is not an email address/],
    ])('refuses %j', async (input, message) => {
      await expect(ctx.candidates.upsert('acme', input)).rejects.toThrow(message);
      await expect(ctx.candidates.upsert('nope', { externalId: 'x', name: 'A', emails: ['a@b.example'] })).rejects.toThrow(CandidateError);
    });
  });
});
