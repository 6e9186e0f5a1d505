import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../src/context.ts';
import { SmtpError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { routeRecipient } from '../../src/smtp/index.ts';
import { openDatabase, TenantStore, SqliteSql } from '../../src/store/index.ts';
import { ROUTE_RECHECK_MS } from '../../src/store/routes.ts';
import { seedTenants, tempDir, testConfig } from '../helpers/server.ts';

let ctx: Context;
// The clock the route answers are kept by.
let nowMs = Date.parse('2026-11-23T12:00:00Z');
beforeAll(async () => {
  ctx = await createContext(testConfig(tempDir()), { log: createLogger('silent'), clock: { now: () => new Date(nowMs) } });
  await seedTenants(ctx);
});
afterAll(() => ctx.close());

async function outcome(address: string): Promise<string> {
  try {
    const routed = routeRecipient(address, ctx.routes);
    return `tenant ${await ctx.tenants.slugOf(routed.tenantId)}`;
  } catch (err) {
    if (err instanceof SmtpError) return `${err.responseCode} ${err.enhancedCode}`;
    throw err;
  }
}

describe('recipient routing', () => {
  it.each([
    ['careers@replies.acme.com', 'tenant acme'],
    ['careers+ab12cd@replies.acme.com', 'tenant acme'],
    ['Anything.Else@REPLIES.ACME.COM', 'tenant acme'],
    ['careers@replies.acme.com.', 'tenant acme'],
    ['acme-jobs@in.mailroom.test', 'tenant acme'],
    ['ACME-Jobs@In.Mailroom.Test', 'tenant acme'],
    ['globex-jobs@in.mailroom.test', 'tenant globex'],
    ['careers@replies.globex.com', 'tenant globex'],
    // a domain we serve, but an address nobody routes: unknown mailbox
    ['someone-else@in.mailroom.test', '550 5.1.1'],
    // not ours: a relay attempt
    ['victim@gmail.com', '550 5.7.1'],
    ['jobs@acme.com', '550 5.7.1'],
    ['careers@sub.replies.acme.com', '550 5.7.1'],
    ['careers@replies.acme.com.evil.example', '550 5.7.1'],
    // IP literals and route forms
    ['root@[127.0.0.1]', '550 5.7.1'],
    ['root@[IPv6:::1]', '550 5.7.1'],
    ['victim%gmail.com@replies.acme.com', '550 5.7.1'],
    ['gmail.com!victim@replies.acme.com', '550 5.7.1'],
    ['"victim@gmail.com"@replies.acme.com', '550 5.7.1'],
    ['no-at-sign', '550 5.7.1'],
  ])('%s -> %s', async (address, expected) => {
    expect(await outcome(address)).toBe(expected);
  });
});

describe('routes changed by another process', () => {
  // The listener keeps its answers in memory; a tenant added with the CLI (its
  // own connection) must count from the next RCPT, refusals included.
  it('accepts a new reply domain and forwarding address at once, after refusing them', async () => {
    expect(await outcome('careers@replies.initech.com')).toBe('550 5.7.1');
    expect(await outcome('initech-jobs@in.mailroom.test')).toBe('550 5.1.1');
    const cli = openDatabase(ctx.config.data.dir);
    try {
      await new TenantStore(SqliteSql.of(cli), () => new Date()).add({
        slug: 'initech',
        domains: ['initech.com'],
        replyDomains: ['replies.initech.com'],
        forwardAddresses: ['initech-jobs@in.mailroom.test'],
      });
    } finally {
      cli.close();
    }
    expect(await outcome('careers@replies.initech.com')).toBe('tenant initech');
    expect(await outcome('initech-jobs@in.mailroom.test')).toBe('tenant initech');
    expect(await outcome('acme-jobs@in.mailroom.test')).toBe('tenant acme');
  });

  it('follows a route that moves or disappears within ROUTE_RECHECK_MS', async () => {
    expect(await outcome('careers@replies.globex.com')).toBe('tenant globex');
    const cli = openDatabase(ctx.config.data.dir);
    try {
      const acme = cli.prepare("SELECT id FROM tenants WHERE slug = 'acme'").get() as { id: number };
      cli.prepare("UPDATE routes SET tenant_id = ? WHERE value = 'replies.globex.com'").run(acme.id);
      expect(await outcome('careers@replies.globex.com')).toBe('tenant globex'); // the kept answer, for a moment
      nowMs += ROUTE_RECHECK_MS;
      expect(await outcome('careers@replies.globex.com')).toBe('tenant acme');
      cli.prepare("DELETE FROM routes WHERE value = 'replies.globex.com'").run();
      nowMs += ROUTE_RECHECK_MS;
      expect(await outcome('careers@replies.globex.com')).toBe('550 5.7.1');
    } finally {
      cli.close();
    }
  });
});
