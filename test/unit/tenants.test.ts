import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.ts';
import { TenantError } from '../../src/store/index.ts';

import { BACKENDS, contextOn } from '../helpers/backends.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  beforeEach(async () => {
    ctx = await contextOn(backend);
  });
  afterEach(() => ctx.close());

  const acme = { slug: 'acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: ['acme-jobs@in.example.net'] };

  describe('tenants', () => {
    it('stores a tenant with normalized domains and routes', async () => {
      const tenant = await ctx.tenants.add({ ...acme, name: 'Acme Inc', replyDomains: ['Replies.ACME.com.'], forwardAddresses: ['Acme-Jobs@IN.example.net'] });
      expect(tenant).toMatchObject({
        slug: 'acme',
        name: 'Acme Inc',
        parent: null,
        domains: ['acme.com'],
        replyDomains: ['replies.acme.com'],
        forwardAddresses: ['acme-jobs@in.example.net'],
      });
      expect((await ctx.tenants.list()).map((t) => t.slug)).toEqual(['acme']);
    });

    it('stores IDN domains in their ASCII form', async () => {
      const tenant = await ctx.tenants.add({ ...acme, domains: ['bücher.de'], replyDomains: ['antworten.bücher.de'], forwardAddresses: [] });
      expect(tenant.domains).toEqual(['xn--bcher-kva.de']);
      expect(tenant.replyDomains).toEqual(['antworten.xn--bcher-kva.de']);
    });

    it('adds a subcompany under its parent', async () => {
      await ctx.tenants.add(acme);
      const sub = await ctx.tenants.add({ slug: 'acme-berlin', parent: 'acme', domains: ['acme.de'], replyDomains: [], forwardAddresses: [] });
      expect(sub.parent).toBe('acme');
    });

    it.each([
      [{ ...acme, slug: 'Bad Slug!' }, /slug/],
      [{ ...acme, domains: [] }, /at least one domain/],
      [{ ...acme, domains: ['not a domain'] }, /is not a domain name/],
      [{ ...acme, replyDomains: ['[127.0.0.1]'] }, /reply domain .* is not a domain name/],
      [{ ...acme, forwardAddresses: ['nobody'] }, /is not an email address/],
      [{ ...acme, replyDomains: [], forwardAddresses: [] }, /can receive nothing/],
      [{ ...acme, parent: 'ghost' }, /parent tenant "ghost" does not exist/],
    ])('refuses %j', async (input, message) => {
      await expect(ctx.tenants.add(input)).rejects.toThrow(message);
      expect(await ctx.tenants.list()).toEqual([]);
    });

    it('never routes one address to two tenants, and leaves nothing half-added', async () => {
      await ctx.tenants.add(acme);
      await expect(
        ctx.tenants.add({ slug: 'other', domains: ['other.com'], replyDomains: ['replies.other.com'], forwardAddresses: ['acme-jobs@in.example.net'] }),
      ).rejects.toThrow(TenantError);
      expect(await ctx.tenants.get('other')).toBeNull();
      await expect(ctx.tenants.add({ slug: 'other', domains: ['other.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] })).rejects.toThrow(
        /already routed to tenant "acme"/,
      );
      await expect(ctx.tenants.add({ slug: 'other', domains: ['other.com'], replyDomains: [], forwardAddresses: ['x@replies.acme.com'] })).rejects.toThrow(
        /lies in reply domain/,
      );
      await expect(ctx.tenants.add(acme)).rejects.toThrow(/already exists/);
    });
  });
});
