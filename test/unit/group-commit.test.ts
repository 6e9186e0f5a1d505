import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../src/context.ts';
import { StorageError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { GroupCommitter, InlineBatchWriter, RemoteJobQueue, StoreClient, StoreThread, type BatchWriter } from '../../src/commit/index.ts';
import { createRepositories, type NewMessage } from '../../src/store/index.ts';
import { seedTenants, tempDir, testConfig } from '../helpers/server.ts';

let ctx: Context;
let dataDir: string;
const writers: BatchWriter[] = [];
beforeEach(async () => {
  dataDir = tempDir();
  ctx = await createContext(testConfig(dataDir), { log: createLogger('silent') });
  await seedTenants(ctx);
});
afterEach(async () => {
  for (const writer of writers.splice(0)) await writer.close();
  await ctx.close();
});

async function message(id: string, size = 100): Promise<NewMessage> {
  return {
    id,
    tenantId: (await ctx.tenants.get('acme'))?.id as number,
    receivedAt: new Date().toISOString(),
    envelope: { sessionId: 's', clientIp: '127.0.0.1', clientPort: 1, helo: 'h', mailFrom: '', rcptTo: ['a@replies.acme.com'], tls: null },
    size,
    raw: Buffer.alloc(size, 0x61),
    spoolFile: null,
  };
}

const kinds = {
  inline: (): BatchWriter => new InlineBatchWriter(createRepositories(ctx.db, { dataDir, now: () => new Date() }).messages),
  thread: (maxSizeMb = 0): BatchWriter => new StoreThread({ dataDir, maxSizeMb }, () => undefined),
};

describe.each(['inline', 'thread'] as const)('group commit with the %s writer', (kind) => {
  function committer(
    options: { windowMs?: number; maxMessages?: number; onCommitted?: (ids: readonly string[]) => void; maxSizeMb?: number } = {},
  ): GroupCommitter {
    const writer = kind === 'inline' ? kinds.inline() : kinds.thread(options.maxSizeMb);
    writers.push(writer);
    return new GroupCommitter(writer, {
      windowMs: options.windowMs ?? 0,
      maxMessages: options.maxMessages ?? 100,
      nowMs: Date.now,
      ...(options.onCommitted ? { onCommitted: options.onCommitted } : {}),
    });
  }

  it('commits messages that arrive together in one transaction', async () => {
    const batches: string[][] = [];
    const c = committer({ windowMs: 5, onCommitted: (ids) => batches.push([...ids]) });
    const arriving = await Promise.all(['A', 'B', 'C'].map((id) => message(id)));
    await Promise.all(arriving.map((m) => c.commit(m)));
    expect(batches).toEqual([['A', 'B', 'C']]);
    expect((await ctx.messages.totals()).count).toBe(3);
    expect((await ctx.raw.read('B'))?.length).toBe(100);
  });

  it('splits at maxMessages, and what arrives during a commit joins the next batch', async () => {
    const batches: number[] = [];
    const c = committer({ maxMessages: 2, onCommitted: (ids) => batches.push(ids.length) });
    const arriving = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((id) => message(id)));
    await Promise.all(arriving.map((m) => c.commit(m)));
    expect(batches).toEqual([2, 2, 1]);
    await c.drain();
  });

  it('refuses only the bad message of a batch', async () => {
    const c = committer({ windowMs: 5 });
    await c.commit(await message('DUP'));
    const results = await Promise.allSettled([c.commit(await message('X1')), c.commit(await message('DUP')), c.commit(await message('X2'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await ctx.messages.totals()).count).toBe(3);
  });

  it('leaves no row of a message that failed halfway (its message row written, its raw row refused)', async () => {
    const c = committer({ windowMs: 5 });
    const halfway = { ...(await message('HALF')), raw: null, spoolFile: null }; // message_raw's CHECK refuses it after its message row
    const results = await Promise.allSettled([c.commit(await message('Y1')), c.commit(halfway), c.commit(await message('Y2'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await ctx.messages.get('HALF')).toBeNull();
    expect((await ctx.messages.totals()).count).toBe(2);
    expect(Number(ctx.db.prepare("SELECT COUNT(*) FROM jobs WHERE message_id = 'HALF'").pluck().get())).toBe(0);
  });

  it('reports a full database as full, stores nothing of what did not fit, and still takes what fits', async () => {
    if (kind === 'inline') {
      const pages = ctx.db.pragma('page_count', { simple: true }) as number;
      ctx.db.pragma(`max_page_count = ${pages + 60}`);
    }
    const c = committer({ maxSizeMb: 1 });
    const results = await Promise.allSettled([c.commit(await message('A', 2_000_000)), c.commit(await message('B', 2_000_000))]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as StorageError;
      expect(reason).toBeInstanceOf(StorageError);
      expect(reason.full).toBe(true);
    }
    expect((await ctx.messages.totals()).count).toBe(0);
    await c.commit(await message('small', 1000));
    expect((await ctx.messages.totals()).count).toBe(1);
  });
});

describe('the store thread and a pipeline thread that dies', () => {
  it('hands back at once the jobs the dead thread held, attempts kept, and no other thread’s', async () => {
    const store = new StoreThread({ dataDir, maxSizeMb: 0 }, () => undefined);
    writers.push(store);
    const group = new GroupCommitter(store, { windowMs: 0, maxMessages: 10, nowMs: Date.now });
    await group.commit(await message('01DEAD'));
    const dying = store.connectPipeline();
    expect(await new RemoteJobQueue(new StoreClient(dying)).claim(Date.now(), 600_000, 4)).toMatchObject([{ messageId: '01DEAD', attempts: 1 }]);
    await group.commit(await message('01LIVE'));
    const living = store.connectPipeline();
    const queue = new RemoteJobQueue(new StoreClient(living));
    expect(await queue.claim(Date.now(), 600_000, 4)).toMatchObject([{ messageId: '01LIVE', attempts: 1 }]);
    dying.close(); // what the store thread sees when that pipeline thread dies
    let again: Awaited<ReturnType<typeof queue.claim>> = [];
    for (let i = 0; i < 100 && again.length === 0; i++) {
      again = await queue.claim(Date.now(), 600_000, 4);
      if (again.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(again).toMatchObject([{ messageId: '01DEAD', attempts: 2 }]);
    // The living thread's lease was left alone.
    expect(await queue.claim(Date.now(), 600_000, 4)).toEqual([]);
    living.close();
  });
});
