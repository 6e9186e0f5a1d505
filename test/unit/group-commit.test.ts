import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../src/context.ts';
import { StorageError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { GroupCommitter, type NewMessage } from '../../src/store/index.ts';
import { seedTenants, tempDir, testConfig } from '../helpers/server.ts';

let ctx: Context;
beforeEach(() => {
  ctx = createContext(testConfig(tempDir()), { log: createLogger('silent') });
  seedTenants(ctx);
});
afterEach(() => ctx.close());

function message(id: string, size = 100): NewMessage {
  return {
    id,
    tenantId: ctx.tenants.get('acme')?.id as number,
    receivedAt: new Date().toISOString(),
    envelope: { sessionId: 's', clientIp: '127.0.0.1', clientPort: 1, helo: 'h', mailFrom: '', rcptTo: ['a@replies.acme.com'], tls: null },
    raw: Buffer.alloc(size, 0x61),
  };
}

describe('group commit', () => {
  it('commits messages that arrive within the window in one transaction', async () => {
    const batches: string[][] = [];
    const committer = new GroupCommitter(ctx.messages, { windowMs: 5, maxMessages: 100, nowMs: Date.now, onCommitted: (ids) => batches.push([...ids]) });
    await Promise.all(['A', 'B', 'C'].map((id) => committer.commit(message(id))));
    expect(batches).toEqual([['A', 'B', 'C']]);
    expect(ctx.messages.totals().count).toBe(3);
  });

  it('flushes at once when the batch is full', async () => {
    const batches: number[] = [];
    const committer = new GroupCommitter(ctx.messages, { windowMs: 1000, maxMessages: 2, nowMs: Date.now, onCommitted: (ids) => batches.push(ids.length) });
    await Promise.all(['A', 'B'].map((id) => committer.commit(message(id))));
    expect(batches).toEqual([2]);
  });

  it('refuses only the bad message of a batch', async () => {
    const committer = new GroupCommitter(ctx.messages, { windowMs: 5, maxMessages: 100, nowMs: Date.now });
    await committer.commit(message('DUP'));
    const results = await Promise.allSettled([committer.commit(message('X1')), committer.commit(message('DUP')), committer.commit(message('X2'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(ctx.messages.totals().count).toBe(3);
  });

  it('reports a full database as full, and stores nothing', async () => {
    const pages = ctx.db.pragma('page_count', { simple: true }) as number;
    ctx.db.pragma(`max_page_count = ${pages + 1}`);
    const committer = new GroupCommitter(ctx.messages, { windowMs: 5, maxMessages: 100, nowMs: Date.now });
    const results = await Promise.allSettled([committer.commit(message('A', 200_000)), committer.commit(message('B', 200_000))]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as StorageError;
      expect(reason).toBeInstanceOf(StorageError);
      expect(reason.full).toBe(true);
    }
    expect(ctx.messages.totals().count).toBe(0);
  });
});
