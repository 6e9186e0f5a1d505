// Storing what was read from an inbox, on both backends (commit/inbox-import.ts,
// store/inboxes.ts): the reader lease (taken, renewed, refused to another node,
// taken over once it runs out), a batch stored only by the lease holder, two
// imports of the same UIDs racing store each message once, and de-duplication
// by content or Message-ID only for the messages of a re-read folder.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importBatch, type ImportBatch, type ImportedMessage } from '../../src/commit/index.ts';
import type { Context } from '../../src/context.ts';
import { newMessageId, type Inbox } from '../../src/store/index.ts';
import { BACKENDS, contextOn } from '../helpers/backends.ts';
import { seedTenants } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let ctx: Context;
  let inbox: Inbox;
  beforeEach(async () => {
    ctx = await contextOn(backend);
    await seedTenants(ctx);
    const tenant = (await ctx.tenants.get('acme'))!;
    inbox = await ctx.inboxes.add({
      tenantId: tenant.id,
      address: 'jobs@acme.com',
      host: 'imap.acme.test',
      port: 993,
      security: 'tls',
      username: 'jobs@acme.com',
      folder: 'INBOX',
      afterImport: 'leave',
      since: null,
      authservId: null,
      createdAt: new Date(0).toISOString(),
      sealedSecret: 'sealed',
    });
    await ctx.inboxes.startFolder(inbox.id, 7, 0);
  });
  afterEach(() => ctx.close());

  function read(uid: number, body: string, headerId: string | null = `<m${uid}@example.org>`, uidValidity = 7): ImportedMessage {
    const raw = Buffer.from(`Message-ID: ${headerId ?? ''}\r\n\r\n${body}\r\n`);
    return {
      uid,
      headerId,
      sha256: createHash('sha256').update(raw).digest('hex'),
      message: {
        id: newMessageId(),
        tenantId: inbox.tenantId,
        receivedAt: new Date(0).toISOString(),
        size: raw.length,
        raw,
        spoolFile: null,
        envelope: {
          sessionId: `imap:${inbox.id}:${uidValidity}:${uid}`,
          clientIp: '',
          clientPort: 0,
          helo: '',
          mailFrom: '',
          rcptTo: ['jobs@acme.com'],
          tls: null,
          imap: { inboxId: inbox.id, host: 'imap.acme.test', folder: 'INBOX', uidValidity, uid, authservId: null },
        },
      },
    };
  }
  const batch = (reader: string, messages: ImportedMessage[], uidValidity = 7): ImportBatch => ({
    inboxId: inbox.id,
    reader,
    uidValidity,
    messages,
    lastUid: Math.max(...messages.map((m) => m.uid)),
    nowMs: 0,
  });
  const stored = async (): Promise<number> => (await ctx.messages.list({ limit: 1000 })).filter((m) => m.source === `imap:${inbox.id}`).length;

  it('lets one node read an inbox at a time, and another take it over once the lease runs out', async () => {
    expect(await ctx.inboxes.claimReader(inbox.id, 'node-a', 0, 1000)).toBe(true);
    expect(await ctx.inboxes.claimReader(inbox.id, 'node-b', 500, 1000)).toBe(false);
    expect(await ctx.inboxes.claimReader(inbox.id, 'node-a', 900, 1000)).toBe(true); // renewed until 1900
    expect(await ctx.inboxes.claimReader(inbox.id, 'node-b', 1800, 1000)).toBe(false);
    expect(await importBatch(ctx, batch('node-a', [read(1, 'one')]))).toEqual({ stale: false, stored: 1, duplicates: 0 });

    // node-a stops renewing (it died, or paused): node-b takes over, and node-a's late batch stores nothing.
    expect(await ctx.inboxes.claimReader(inbox.id, 'node-b', 1900, 1000)).toBe(true);
    expect(await ctx.inboxes.get(inbox.id)).toMatchObject({ reader: 'node-b', readerUntil: 2900 });
    expect(await importBatch(ctx, batch('node-a', [read(2, 'two')]))).toEqual({ stale: true });
    expect(await importBatch(ctx, batch('node-b', [read(2, 'two')]))).toEqual({ stale: false, stored: 1, duplicates: 0 });

    // Giving it up hands it over at once.
    await ctx.inboxes.releaseReader(inbox.id, 'node-b');
    expect(await ctx.inboxes.claimReader(inbox.id, 'node-a', 2000, 1000)).toBe(true);
    expect(await stored()).toBe(2);
  });

  it('stores each UID once when two imports of the same UIDs race: the import row decides', async () => {
    expect(await ctx.inboxes.claimReader(inbox.id, 'node-a', 0, 60_000)).toBe(true);
    const uids = [1, 2, 3, 4, 5, 6, 7, 8];
    // The same UIDs read twice (as two nodes would), each copy with message ids of its own.
    const outcomes = await Promise.all(
      [0, 1, 2].map(() =>
        importBatch(
          ctx,
          batch(
            'node-a',
            uids.map((uid) => read(uid, `body ${uid}`)),
          ),
        ),
      ),
    );
    const total = outcomes.reduce((n, o) => n + (o.stale ? 0 : o.stored), 0);
    expect(total).toBe(uids.length);
    expect(await stored()).toBe(uids.length);
    expect(await ctx.inboxes.importedCount(inbox.id)).toBe(uids.length);
  });

  it('takes a new UID as a new message, and recognises a message by content or Message-ID only when re-reading after a UIDVALIDITY change', async () => {
    expect(await ctx.inboxes.claimReader(inbox.id, 'node-a', 0, 60_000)).toBe(true);
    // A stranger's message first, then another with the same Message-ID: both are new mail.
    await importBatch(
      ctx,
      batch('node-a', [read(1, 'from a stranger', '<shared@example.org>'), read(2, 'from Jane', '<shared@example.org>'), read(3, 'three')]),
    );
    expect(await stored()).toBe(3);

    // The folder is restored: UIDs below 4 were there before the change (its UIDNEXT then).
    await ctx.inboxes.startFolder(inbox.id, 8, 4);
    const outcome = await importBatch(
      ctx,
      batch(
        'node-a',
        [
          read(1, 'from a stranger', '<shared@example.org>', 8), // the same bytes
          read(2, 'from Jane, its headers rewritten by the restore', '<m3@example.org>', 8), // the same Message-ID as UID 3 before
          read(4, 'after the change', '<shared@example.org>', 8), // new mail, whatever its Message-ID
        ],
        8,
      ),
    );
    expect(outcome).toEqual({ stale: false, stored: 1, duplicates: 2 });
    expect(await stored()).toBe(4);
    expect(await ctx.inboxes.importedCount(inbox.id)).toBe(6);
  });
});
