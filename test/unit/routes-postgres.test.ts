// RCPT's answers on PostgreSQL: every route in memory, and a route another node
// adds is followed (the routes trigger's NOTIFY reaches every node), without a
// round trip per recipient.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { createContext, type Context } from '../../src/context.ts';
import { freshPostgresDatabase } from '../helpers/backends.ts';
import { tempDir, testConfig, waitFor } from '../helpers/server.ts';

const contexts: Context[] = [];
afterEach(async () => {
  for (const ctx of contexts.splice(0)) await ctx.close();
});

async function node(url: string): Promise<Context> {
  const ctx = await createContext(testConfig(tempDir(), { database: { url } }), { log: createLogger('silent') });
  contexts.push(ctx);
  return ctx;
}

describe('routes on PostgreSQL', () => {
  it('answers from memory, and follows a route another node adds', async () => {
    const url = await freshPostgresDatabase();
    const [one, two] = [await node(url), await node(url)];
    await one.tenants.add({ slug: 'acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: ['acme-jobs@in.example.net'] });
    // The node that made the change answers at once.
    expect(one.routes.routeFor('careers+x@replies.acme.com')).toMatchObject({ route: { kind: 'reply_domain', value: 'replies.acme.com' } });
    expect(one.routes.routeFor('acme-jobs@in.example.net')).toMatchObject({ route: { kind: 'forward_address' } });
    expect(one.routes.routeFor('someone@in.example.net')).toBeNull();
    expect(one.routes.servesDomain('in.example.net')).toBe(true);
    expect(one.routes.servesDomain('elsewhere.example')).toBe(false);
    // The other hears of it.
    await waitFor(() => two.routes.routeFor('careers@replies.acme.com') !== null, 5000, 'the second node to follow the new route');
    expect(two.routes.routeFor('acme-jobs@in.example.net')).toMatchObject({ tenantId: (await two.tenants.get('acme'))!.id });
  });
});
