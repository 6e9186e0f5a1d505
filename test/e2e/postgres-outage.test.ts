// A node whose PostgreSQL goes away: mail is refused with 451 (never a 250 for
// a message that was not stored), /readyz says the database is unavailable,
// and once the database is back the node accepts and processes mail again.
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import { startTestServer, tempDir, waitFor, type TestServer } from '../helpers/server.ts';

let cluster: PostgresCluster | null = null;
let test: TestServer | null = null;
afterAll(async () => {
  await test?.cleanup();
  await cluster?.stop();
});

async function send(port: number, n: number): Promise<{ code: number; response: string }> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({ from: 'jane@candidate.example', to: 'careers@replies.acme.com', subject: `outage ${n}`, text: 'Hello' });
    return { code: 250, response: String(info.response) };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string };
    return { code: e.responseCode ?? 0, response: e.response ?? String(err) };
  } finally {
    transport.close();
  }
}

describe('PostgreSQL unreachable', () => {
  it('answers 451 and /readyz 503 while the database is down, and takes mail again when it is back', async () => {
    // A cluster of its own: this test stops it.
    cluster = await startPostgres(tempDir('mailroom-pg-outage-'));
    const url = await cluster.createDatabase('outage');
    test = await startTestServer({ overrides: { database: { url }, secret: { key: randomBytes(32).toString('base64') } } });
    const http = `http://127.0.0.1:${test.server.http!.port}`;
    const first = await send(test.port, 1);
    expect(first.code).toBe(250);
    expect((await fetch(`${http}/readyz`)).status).toBe(200);

    await cluster.stop();
    const refused = await send(test.port, 2);
    expect(refused.code).toBe(451);
    const ready = await fetch(`${http}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'database unavailable' });

    await cluster.start();
    await waitFor(async () => (await send(test!.port, 3)).code === 250, 20_000, 'mail accepted again');
    await waitFor(async () => (await test!.ctx.messages.list({ limit: 10 })).every((m) => m.status !== 'received'), 30_000, 'the accepted messages processed');
    const subjects = (await test.ctx.messages.list({ limit: 10 })).map((m) => m.subject).sort();
    expect(subjects[0]).toBe('outage 1');
    expect(subjects).not.toContain('outage 2');
    expect((await fetch(`${http}/readyz`)).status).toBe(200);
  }, 90_000);
});
