// Connection limits, deadlines, a full store and graceful shutdown, each over a
// real listener with small limits.
import { afterEach, describe, expect, it } from 'vitest';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { SqliteSql } from '../../src/store/index.ts';

let t: TestServer | null = null;
afterEach(async () => {
  await t?.cleanup();
  t = null;
});

describe('limits and deadlines', () => {
  it('answers 421 past maxConnectionsPerIp and admits again once one leaves', async () => {
    t = await startTestServer({ overrides: { smtp: { maxConnectionsPerIp: 2 } } });
    const a = await RawSmtp.connect(t.port);
    const b = await RawSmtp.connect(t.port);
    expect((await a.reply())?.code).toBe(220);
    expect((await b.reply())?.code).toBe(220);
    const c = await RawSmtp.connect(t.port);
    expect((await c.reply())?.lines[0]).toMatch(/^421 4\.7\.0 /);
    expect(await c.reply()).toBeNull();
    a.close();
    await waitFor(() => t!.server.listener.activeSessions === 1);
    const d = await RawSmtp.connect(t.port);
    expect((await d.reply())?.code).toBe(220);
    b.close();
    d.close();
  });

  it('answers 421 past maxConnections in all', async () => {
    t = await startTestServer({ overrides: { smtp: { maxConnections: 2 } } });
    const open = [await RawSmtp.connect(t.port), await RawSmtp.connect(t.port)];
    for (const c of open) expect((await c.reply())?.code).toBe(220);
    const extra = await RawSmtp.connect(t.port);
    expect((await extra.reply())?.code).toBe(421);
    for (const c of open) c.close();
  });

  it('cuts a session that outlives sessionTimeoutMs with 421', async () => {
    t = await startTestServer({ overrides: { smtp: { sessionTimeoutMs: 400 } } });
    const c = await RawSmtp.connect(t.port);
    await c.reply();
    await c.command('EHLO x.example');
    // keep it busy so the idle timeout is not what ends it
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect((await c.command('NOOP'))?.code).toBe(250);
    }
    const cut = await c.reply(2000);
    expect(cut?.lines[0]).toMatch(/^421 4\.4\.2 Session time limit/);
    expect(await c.reply()).toBeNull();
  });

  it('cuts a slow-drip DATA at dataTimeoutMs with 421 and stores nothing', async () => {
    t = await startTestServer({ overrides: { smtp: { dataTimeoutMs: 300 } } });
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData(['slow@replies.acme.com']))?.code).toBe(354);
    const drip = setInterval(() => c.write('x'), 50);
    const reply = await c.reply(3000);
    clearInterval(drip);
    expect(reply?.lines[0]).toMatch(/^421 4\.4\.2 Message not received in time/);
    await waitFor(() => t!.server.listener.transactionsInFlight === 0);
    expect((await t.ctx.messages.totals()).count).toBe(0);
  });

  it('closes an idle connection after idleTimeoutMs', async () => {
    t = await startTestServer({ overrides: { smtp: { idleTimeoutMs: 300 } } });
    const c = await RawSmtp.connect(t.port);
    await c.reply();
    const reply = await c.reply(3000);
    expect(reply?.code).toBe(421);
  });
});

describe('storage failures', () => {
  it('answers 452 4.3.1 (never 250) once the database is at data.maxSizeMb, storing nothing of the refused', async () => {
    t = await startTestServer({ overrides: { data: { maxSizeMb: 1 } } });
    const c = await RawSmtp.connect(t.port);
    await c.reply();
    await c.command('EHLO x.example');
    const replies: string[] = [];
    // 100 KB each: under the spool threshold, so they go into the database itself.
    const body = `${'y'.repeat(76)}\r\n`.repeat(1300);
    for (let i = 0; i < 20 && !replies.some((r) => r.startsWith('452')); i++) {
      await c.command('MAIL FROM:<a@example.org>');
      await c.command('RCPT TO:<full@replies.acme.com>');
      await c.command('DATA');
      replies.push((await c.command(`Subject: fill ${i}\r\n\r\n${body}.`))?.lines[0] ?? '');
    }
    const refused = replies.filter((r) => r.startsWith('452'));
    expect(refused).toEqual(['452 4.3.1 Insufficient system storage, try again later']);
    expect((await t.ctx.messages.totals()).count).toBe(replies.filter((r) => r.startsWith('250')).length);
    c.close();
  });

  it('spools a message over smtp.spoolThresholdBytes to a file and serves it back byte for byte', async () => {
    t = await startTestServer({ overrides: { smtp: { spoolThresholdBytes: 64 * 1024 } } });
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData(['big@replies.acme.com']))?.code).toBe(354);
    const body = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'z'.repeat(60)}\r\n`).join('');
    const ok = await c.command(`Subject: large\r\n\r\n${body}.`);
    expect(ok?.code).toBe(250);
    const id = queuedId(ok);
    const row = t.ctx.db.prepare('SELECT raw, path FROM message_raw WHERE message_id = ?').get(id) as { raw: Buffer | null; path: string | null };
    expect(row.raw).toBeNull();
    expect(row.path).toBe(`spool/${id}.eml`);
    const raw = (await t.ctx.raw.read(id))?.toString('latin1') ?? '';
    expect(raw).toMatch(/^Received: /);
    expect(raw.endsWith(`Subject: large\r\n\r\n${body}`)).toBe(true);
    expect((await t.ctx.messages.get(id))?.size).toBe(raw.length);
    c.close();
  });

  it('answers 451 4.3.0 when the store fails for another reason', async () => {
    t = await startTestServer();
    t.ctx.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;`);
    const c = await RawSmtp.connect(t.port);
    await c.startData(['x@replies.acme.com']);
    const reply = await c.command('Subject: x\r\n\r\nhi\r\n.');
    expect(reply?.lines[0]).toBe('451 4.3.0 Local error in processing, try again later');
    expect(reply?.text).not.toMatch(/disk on fire/);
    c.close();
  });
});

describe('graceful shutdown', () => {
  it('tells idle sessions 421 at once, lets a transaction in flight finish with 250, then closes', async () => {
    t = await startTestServer({ overrides: { smtp: { shutdownGraceMs: 3000 } } });
    const idle = await RawSmtp.connect(t.port);
    await idle.reply();
    await idle.command('EHLO idle.example');
    const busy = await RawSmtp.connect(t.port);
    expect((await busy.startData(['busy@replies.acme.com']))?.code).toBe(354);
    busy.write('Subject: in flight\r\n\r\nfirst half\r\n');

    const stopped = t.server.stop();
    expect((await idle.reply())?.lines[0]).toMatch(/^421 4\.3\.2 /);
    // a new client is not served any more
    await expect(RawSmtp.connect(t.port)).rejects.toThrow();

    busy.write('second half\r\n.\r\n');
    const done = await busy.reply();
    expect(done?.code).toBe(250);
    // no new transaction on a closing server
    expect((await busy.command('MAIL FROM:<a@example.org>'))?.code).toBe(421);
    await stopped;
    const id = queuedId(done);
    // the database was closed cleanly; reopen it to check the message is there
    const { openDatabase, MessageStore } = await import('../../src/store/index.ts');
    const db = openDatabase(t.dataDir);
    expect((await new MessageStore(SqliteSql.of(db)).get(id))?.size).toBeGreaterThan(0);
    db.close();
  });

  it('answers 421 to sessions still open when the grace period runs out', async () => {
    t = await startTestServer({ overrides: { smtp: { shutdownGraceMs: 300 } } });
    const slow = await RawSmtp.connect(t.port);
    expect((await slow.startData(['slow@replies.acme.com']))?.code).toBe(354);
    const stopped = t.server.stop();
    const reply = await slow.reply(3000);
    expect(reply?.code).toBe(421);
    await stopped;
  });

  it('holds one client to smtp.maxMessagesPerClientPerMinute with 451 4.7.1 at MAIL, and its recipients to their own rate', async () => {
    t = await startTestServer({ overrides: { smtp: { maxMessagesPerClientPerMinute: 3, maxRecipientsPerClientPerMinute: 5 } } });
    const c = await RawSmtp.connect(t.port);
    await c.reply();
    await c.command('EHLO client.example.org');
    const mails: number[] = [];
    for (let i = 0; i < 4; i++) {
      const reply = await c.command('MAIL FROM:<a@client.example>');
      mails.push(reply?.code ?? 0);
      if (reply?.code === 250) await c.command('RSET');
      else expect(reply?.lines[0]).toMatch(/^451 4\.7\.1 Too many messages/);
    }
    expect(mails).toEqual([250, 250, 250, 451]);
    c.close();

    // A new connection from the same address is the same client.
    const d = await RawSmtp.connect(t.port);
    await d.reply();
    await d.command('EHLO client.example.org');
    expect((await d.command('MAIL FROM:<a@client.example>'))?.code).toBe(451);
    d.close();
  });

  it('refuses recipients past smtp.maxRecipientsPerClientPerMinute with 451 4.7.1', async () => {
    t = await startTestServer({ overrides: { smtp: { maxRecipientsPerClientPerMinute: 5 } } });
    const c = await RawSmtp.connect(t.port);
    await c.reply();
    await c.command('EHLO client.example.org');
    expect((await c.command('MAIL FROM:<a@client.example>'))?.code).toBe(250);
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await c.command(`RCPT TO:<r${i}@replies.acme.com>`))?.code ?? 0);
    expect(codes).toEqual([250, 250, 250, 250, 250, 451, 451]);
    c.close();
  });

  it('answers 452 4.3.1 while the data directory has less than data.minFreeMb free, before any byte is sent', async () => {
    // More free space than any test machine has: the watermark is always crossed.
    t = await startTestServer({ overrides: { data: { minFreeMb: 1_000_000_000 } } });
    const c = await RawSmtp.connect(t.port);
    await c.reply();
    await c.command('EHLO client.example.org');
    const reply = await c.command('MAIL FROM:<a@client.example>');
    expect(reply?.lines[0]).toMatch(/^452 4\.3\.1 /);
    c.close();
    expect(await t.ctx.messages.list({ limit: 10 })).toEqual([]);
  });
});
