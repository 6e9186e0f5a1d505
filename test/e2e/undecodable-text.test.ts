// A stranger's message whose text decodes to characters PostgreSQL cannot keep
// (a NUL, half of a surrogate pair) is processed like any other, on both
// backends, with those characters stored as U+FFFD: before, PostgreSQL refused
// the row on every retry and the message ended failed.
import { afterEach, describe, expect, it } from 'vitest';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { BACKENDS, isProcessed, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { storable } from '../../src/store/index.ts';

let t: TestServer | null = null;
afterEach(async () => {
  await t?.cleanup();
  t = null;
});

describe('text every backend can keep', () => {
  it('replaces lone surrogates and NUL characters, copying only what changed', () => {
    const clean = { a: 'fine', list: ['ok'] };
    expect(storable(clean)).toBe(clean);
    expect(storable({ a: 'x\0y', list: ['\uD83D', '\uD83D\uDE00'], n: 1, nil: null })).toEqual({
      a: 'x\uFFFDy',
      list: ['\uFFFD', '\uD83D\uDE00'],
      n: 1,
      nil: null,
    });
  });
});

describe.each(BACKENDS)('on %s', (backend) => {
  it('processes a message whose subject and body decode to a NUL and a lone surrogate', async () => {
    t = await startTestServer({ backend });
    const c = await RawSmtp.connect(t.port);
    expect((await c.startData(['careers@replies.acme.com'], 'stranger@else.example'))?.code).toBe(354);
    const raw = [
      'From: stranger@else.example',
      // "Re: Offer<NUL>" in UTF-8, then half of a surrogate pair in UTF-16.
      'Subject: =?utf-8?q?Re=3A_Offer=00?= =?utf-16be?b?2D0=?=',
      'Message-ID: <nul-1@else.example>',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Before=00after.',
      '.',
    ].join('\r\n');
    const id = queuedId(await c.command(raw));
    c.close();
    await waitFor(async () => isProcessed((await t!.ctx.messages.get(id))?.status) || (await t!.ctx.messages.get(id))?.status === 'failed', 20_000, 'decided');
    const stored = await t.ctx.messages.get(id);
    expect(stored?.status).not.toBe('failed');
    expect(stored?.subject).toContain('Re: Offer\uFFFD');
    expect(stored?.subject?.isWellFormed()).toBe(true);
  });
});
