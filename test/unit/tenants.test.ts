import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../src/runtime/context.ts';
import { createLogger } from '../../src/log.ts';
import { TenantError } from '../../src/store/index.ts';
import { tempDir, testConfig } from '../helpers/server.ts';

let ctx: Context;
beforeEach(() => {
  ctx = createContext(testConfig(tempDir()), { log: createLogger('silent') });
});
afterEach(() => ctx.close());

const acme = { slug: 'acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: ['acme-jobs@in.example.net'] };

describe('tenants', () => {
  it('stores a tenant with normalized domains and routes', () => {
    const tenant = ctx.tenants.add({ ...acme, name: 'Acme Inc', replyDomains: ['Replies.ACME.com.'], forwardAddresses: ['Acme-Jobs@IN.example.net'] });
    expect(tenant).toMatchObject({
      slug: 'acme',
      name: 'Acme Inc',
      parent: null,
      domains: ['acme.com'],
      replyDomains: ['replies.acme.com'],
      forwardAddresses: ['acme-jobs@in.example.net'],
    });
    expect(ctx.tenants.list().map((t) => t.slug)).toEqual(['acme']);
  });

  it('stores IDN domains in their ASCII form', () => {
    const tenant = ctx.tenants.add({ ...acme, domains: ['bücher.de'], replyDomains: ['antworten.bücher.de'], forwardAddresses: [] });
    expect(tenant.domains).toEqual(['xn--bcher-kva.de']);
    expect(tenant.replyDomains).toEqual(['antworten.xn--bcher-kva.de']);
  });

  it('adds a subcompany under its parent', () => {
    ctx.tenants.add(acme);
    const sub = ctx.tenants.add({ slug: 'acme-berlin', parent: 'acme', domains: ['acme.de'], replyDomains: [], forwardAddresses: [] });
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
  ])('refuses %j', (input, message) => {
    expect(() => ctx.tenants.add(input)).toThrow(message);
    expect(ctx.tenants.list()).toEqual([]);
  });

  it('never routes one address to two tenants, and leaves nothing half-added', () => {
    ctx.tenants.add(acme);
    expect(() =>
      ctx.tenants.add({ slug: 'other', domains: ['other.com'], replyDomains: ['replies.other.com'], forwardAddresses: ['acme-jobs@in.example.net'] }),
    ).toThrow(TenantError);
    expect(ctx.tenants.get('other')).toBeNull();
    expect(() => ctx.tenants.add({ slug: 'other', domains: ['other.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] })).toThrow(
      /already routed to tenant "acme"/,
    );
    expect(() => ctx.tenants.add({ slug: 'other', domains: ['other.com'], replyDomains: [], forwardAddresses: ['x@replies.acme.com'] })).toThrow(
      /lies in reply domain/,
    );
    expect(() => ctx.tenants.add(acme)).toThrow(/already exists/);
  });
});
