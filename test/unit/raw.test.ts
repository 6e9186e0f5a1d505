import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../src/context.ts';
import { createLogger } from '../../src/log.ts';
import { ensureSpoolDir, spoolFileFor, spoolUsage } from '../../src/store/index.ts';
import { seedTenants, tempDir, testConfig } from '../helpers/server.ts';

let ctx: Context;
let dataDir: string;
beforeEach(async () => {
  dataDir = tempDir();
  ctx = await createContext(testConfig(dataDir), { log: createLogger('silent') });
  await seedTenants(ctx);
  ensureSpoolDir(dataDir);
});
afterEach(() => ctx.close());

async function storeSpooled(id: string, bytes: string): Promise<void> {
  const file = spoolFileFor(dataDir, id);
  writeFileSync(file.absolute, bytes);
  await ctx.messages.insertBatch(
    [
      {
        id,
        tenantId: (await ctx.tenants.get('acme'))?.id as number,
        receivedAt: new Date().toISOString(),
        envelope: { sessionId: 's', clientIp: '127.0.0.1', clientPort: 1, helo: 'h', mailFrom: '', rcptTo: ['a@replies.acme.com'], tls: null },
        size: bytes.length,
        raw: null,
        spoolFile: file.relative,
      },
    ],
    Date.now(),
  );
}

describe('raw message storage', () => {
  it('reads a spooled message from its file and an inline one from the database', async () => {
    await storeSpooled('01SPOOLED', 'Subject: big\r\n\r\nbody\r\n');
    expect((await ctx.raw.read('01SPOOLED'))?.toString()).toBe('Subject: big\r\n\r\nbody\r\n');
    expect(await ctx.raw.read('01NOPE')).toBeNull();
  });

  it('removes spool files no committed message refers to, and only those', async () => {
    await storeSpooled('01KEPT', 'kept\r\n');
    const orphan = spoolFileFor(dataDir, '01ORPHAN');
    writeFileSync(orphan.absolute, 'never acknowledged\r\n');
    expect(spoolUsage(dataDir).files).toBe(2);
    expect(await ctx.raw.removeOrphans()).toBe(1);
    expect(existsSync(orphan.absolute)).toBe(false);
    expect(existsSync(join(dataDir, 'spool', '01KEPT.eml'))).toBe(true);
  });

  it('refuses a row with both or neither of raw bytes and a spool file', async () => {
    const base = {
      tenantId: (await ctx.tenants.get('acme'))?.id as number,
      receivedAt: '',
      envelope: { sessionId: 's', clientIp: '', clientPort: 1, helo: '', mailFrom: '', rcptTo: [], tls: null },
      size: 1,
    };
    await expect(ctx.messages.insertBatch([{ ...base, id: 'A', raw: null, spoolFile: null }], 0)).rejects.toThrow(/CHECK/);
    await expect(ctx.messages.insertBatch([{ ...base, id: 'B', raw: Buffer.from('x'), spoolFile: 'spool/B.eml' }], 0)).rejects.toThrow(/CHECK/);
  });
});
