import { KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { authenticateGroup, authenticateMessage, TemporaryAuthError } from '../../src/auth/index.ts';
import { loadZoneFile, zoneResolver, ZoneFileError } from '../../src/dns/index.ts';
import { exampleZone, forwardWithArc, makeSigner, message, sign, type TestSigner } from '../helpers/dkim.ts';
import { tempDir } from '../helpers/server.ts';
import { readUnsignedHeader } from '../../src/auth/unsigned.ts';
import { cachedKeyCount, verifyDkim } from '../../src/auth/dkim-verify.ts';

const { dkimVerify } = createRequire(import.meta.url)('mailauth/lib/dkim/verify') as {
  dkimVerify(input: Buffer, options: object): Promise<Record<string, unknown>>;
};

let signer: TestSigner;
beforeAll(() => {
  signer = makeSigner('example.org');
});

const base = { mta: 'mx.mailroom.test', lastAttempt: false };

describe('authentication', () => {
  it('passes SPF, DKIM and DMARC for signed mail from an allowed address', async () => {
    const raw = Buffer.from(await sign(message('Jane <jane@example.org>'), signer));
    const v = await authenticateMessage({
      ...base,
      raw,
      envelope: { clientIp: '192.0.2.10', helo: 'mail.example.org', mailFrom: 'jane@example.org' },
      resolver: zoneResolver(exampleZone(signer)),
    });
    expect(v).toMatchObject({ spf: 'pass', dkim: 'pass', dmarc: 'pass', dmarcDomain: 'example.org', dmarcPolicy: 'reject', dkimDomains: ['example.org'] });
    expect(v.authenticationResults).toMatch(/^mx\.mailroom\.test; /);
    for (const part of ['spf=pass', 'dkim=pass', 'dmarc=pass']) expect(v.authenticationResults).toContain(part);
  });

  it('fails DMARC under p=reject for an unsigned spoof from elsewhere', async () => {
    const raw = Buffer.from(message('CEO <ceo@example.org>'));
    const v = await authenticateMessage({
      ...base,
      raw,
      envelope: { clientIp: '203.0.113.66', helo: 'evil.example', mailFrom: 'ceo@example.org' },
      resolver: zoneResolver(exampleZone(signer)),
    });
    expect(v).toMatchObject({ spf: 'fail', dmarc: 'fail', dmarcPolicy: 'reject' });
    expect(v.dkim).not.toBe('pass');
  });

  it('fails DKIM for a signed message altered on the way', async () => {
    const signed = await sign(message('Jane <jane@example.org>'), signer);
    const raw = Buffer.from(signed.replace('available on Tuesday', 'available on Friday'));
    const v = await authenticateMessage({
      ...base,
      raw,
      envelope: { clientIp: '192.0.2.10', helo: 'mail.example.org', mailFrom: 'jane@example.org' },
      resolver: zoneResolver(exampleZone(signer)),
    });
    // mailauth's lenient default reports a body hash mismatch as neutral, strict mode as fail
    expect(['fail', 'neutral']).toContain(v.dkim);
    expect(v.dkimDomains).toEqual([]);
  });

  it('verifies a signature over CRLF line ends, over LF ones (a file) and over a mix, as mailauth does', async () => {
    // simple/simple, the strict canonicalization: line ends are all it forgives.
    const crlf = await sign(message('Jane <jane@example.org>'), signer, 'simple/simple');
    const inputs = { crlf, lf: crlf.replace(/\r\n/g, '\n'), mixed: crlf.replace('Tuesday.\r\n', 'Tuesday.\n') };
    expect(inputs.mixed).not.toBe(crlf);
    for (const [name, text] of Object.entries(inputs)) {
      const raw = Buffer.from(text);
      const v = await authenticateMessage({
        ...base,
        raw,
        envelope: { clientIp: '192.0.2.10', helo: 'mail.example.org', mailFrom: 'jane@example.org' },
        resolver: zoneResolver(exampleZone(signer)),
      });
      const theirs = (await dkimVerify(raw, { resolver: zoneResolver(exampleZone(signer)) })) as {
        results: { status: { result: string; comment?: string } }[];
      };
      expect({ name, dkim: v.dkim }).toEqual({ name, dkim: 'pass' });
      expect(theirs.results[0]?.status.result).toBe('pass');
    }
  });

  it('gives what mailauth gives wherever the header ends: signed, sealed, empty header, no body, no blank line', async () => {
    const forwarder = makeSigner('forwarder.example', 'arc1');
    const signed = await sign(message('Jane <jane@example.org>'), signer);
    const sealed = await forwardWithArc(signed, forwarder, 'mx.forwarder.example; dkim=pass header.d=example.org');
    const resolver = zoneResolver({ ...exampleZone(signer), [`arc1._domainkey.forwarder.example`]: { TXT: [forwarder.record] } });
    const [head] = signed.split('\r\n\r\n') as [string];
    const inputs = [signed, sealed, `${head}\r\n\r\n`, `${head}\r\n`, `${head}\r\n\r\n\r\n`, '\r\nonly a body\r\n', '\r\n\r\n', ''];
    // Each verification names its signatures with a fresh random id; the rest must agree.
    const comparable = (v: Record<string, unknown>): string =>
      JSON.stringify(
        { results: v.results, headerFrom: v.headerFrom, fromFields: v.fromFields, envelopeFrom: v.envelopeFrom, headers: v.headers, arc: v.arc },
        (key, value: unknown) => (key === 'id' ? undefined : value instanceof KeyObject ? String(value) : value),
      );
    for (const text of inputs) {
      const raw = Buffer.from(text);
      const ours = await verifyDkim(raw, { resolver, sender: 'jane@example.org' });
      const theirs = await dkimVerify(raw, { resolver, sender: 'jane@example.org' });
      expect(comparable(ours as unknown as Record<string, unknown>)).toBe(comparable(theirs));
    }
    expect((await verifyDkim(Buffer.from(sealed), { resolver })).results).toMatchObject([{ status: { result: 'pass' } }]);
  });

  it('verifies the ARC chain of a forwarder that sealed what it saw', async () => {
    const forwarder = makeSigner('forwarder.example', 'arc1');
    const raw = Buffer.from(
      await forwardWithArc(
        await sign(message('Jane <jane@example.org>'), signer),
        forwarder,
        `mx.forwarder.example; dkim=pass header.d=example.org; spf=pass smtp.mailfrom=jane@example.org; dmarc=pass header.from=example.org`,
      ),
    );
    const zone = {
      ...exampleZone(signer),
      [`arc1._domainkey.forwarder.example`]: { TXT: [forwarder.record] },
      'forwarder.example': { TXT: ['v=spf1 ip4:198.51.100.7 -all'] },
    };
    const v = await authenticateMessage({
      ...base,
      raw,
      envelope: { clientIp: '198.51.100.7', helo: 'mx.forwarder.example', mailFrom: 'jane@example.org' },
      resolver: zoneResolver(zone),
    });
    expect(v).toMatchObject({ arc: 'pass', dkim: 'pass', dmarc: 'pass' });
    expect(v.authenticationResults).toMatch(/arc=pass/);
    // The forwarder's server is not example.org's: SPF fails after the hop, DKIM carries DMARC.
    expect(v.spf).toBe('fail');
  });

  it('gives each message of a group, check by check, the verdicts it gets alone; a temporary DNS failure stops only its message', async () => {
    const forwarder = makeSigner('forwarder.example', 'arc1');
    const slow = makeSigner('slow.example');
    const zone = {
      ...exampleZone(signer),
      [`arc1._domainkey.forwarder.example`]: { TXT: [forwarder.record] },
      'forwarder.example': { TXT: ['v=spf1 ip4:198.51.100.7 -all'] },
      [`sel1._domainkey.slow.example`]: { TXT: 'TIMEOUT' as const },
    };
    const resolver = zoneResolver(zone);
    const fromJane = { clientIp: '192.0.2.10', helo: 'mail.example.org', mailFrom: 'jane@example.org' };
    const signed = await sign(message('Jane <jane@example.org>'), signer);
    const inputs = [
      { raw: signed, envelope: fromJane },
      {
        raw: await forwardWithArc(signed, forwarder, 'mx.forwarder.example; dkim=pass header.d=example.org'),
        envelope: { clientIp: '198.51.100.7', helo: 'mx.forwarder.example', mailFrom: 'jane@example.org' },
      },
      { raw: message('Jane <jane@example.org>'), envelope: { clientIp: '203.0.113.9', helo: 'spoof.example', mailFrom: 'jane@example.org' } },
      { raw: await sign(message('Sam <sam@slow.example>'), slow), envelope: fromJane },
      { raw: `Received: from mail.example.org (mail.example.org [192.0.2.10]) by mx.acme.com; Mon, 23 Nov 2026 10:00:01 +0000\r\n${signed}`, envelope: null },
      { raw: message('Jane <jane@example.org>'), envelope: fromJane },
    ].map(({ raw, envelope }) => ({ ...base, raw: Buffer.from(raw), envelope, resolver }));
    const grouped = await authenticateGroup(inputs, 4);
    const alone = await Promise.all(inputs.map((input) => authenticateMessage(input).catch((err: unknown) => err as Error)));
    expect(grouped[3]).toBeInstanceOf(TemporaryAuthError);
    expect(alone[3]).toBeInstanceOf(TemporaryAuthError);
    expect(grouped.filter((_, i) => i !== 3)).toEqual(alone.filter((_, i) => i !== 3));
    expect(grouped.map((v) => (v instanceof Error ? 'error' : `${v.dkim}/${v.arc}/${v.dmarc}`))).toEqual([
      'pass/none/pass',
      'pass/pass/pass',
      'none/none/fail',
      'error',
      'pass/none/pass',
      'none/none/pass',
    ]);
  });

  it('reads the client of a message from a file from its newest Received header, and checks no SPF without one', async () => {
    const resolver = zoneResolver(exampleZone(signer));
    const received = Buffer.from(
      `Received: from mail.example.org (mail.example.org [192.0.2.10]) by mx.acme.com; Mon, 23 Nov 2026 10:00:01 +0000\r\nReturn-Path: <jane@example.org>\r\n${message('Jane <jane@example.org>')}`,
    );
    expect(await authenticateMessage({ ...base, raw: received, envelope: null, resolver })).toMatchObject({ spf: 'pass', dmarc: 'pass' });
    const bare = await authenticateMessage({ ...base, raw: Buffer.from(message('Jane <jane@example.org>')), envelope: null, resolver });
    expect(bare.spf).toBe('none');
    expect(bare.authenticationResults).not.toMatch(/spf=/);
  });

  it("reads an unsigned header as mailauth's DKIM verifier does: every author, groups, folded and repeated From, envelope sender or Return-Path", async () => {
    const heads = [
      'From: Jane <jane@example.org>\r\nTo: careers@replies.acme.com\r\nSubject: Hi\r\n\r\n',
      'from : "Doe, Jane" <JANE@Example.ORG>,\r\n bob@example.net\r\nFrom: Team: a@team.example, b@team.example;\r\nReturn-Path: <bounce@lists.example>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\n',
      'Subject: no author\r\nReturn-Path: <>\r\n\r\n',
      'From: =?UTF-8?B?SsO8cmdlbg==?= <jurgen@example.de>\r\nReturn-Path: jurgen@example.de\r\n\r\n',
      'Subject: nothing but a subject and no blank line',
    ];
    for (const head of heads.map((h) => Buffer.from(h))) {
      for (const sender of [undefined, 'jane@example.org', '']) {
        const expected = await dkimVerify(head, { resolver: zoneResolver({}), ...(sender !== undefined ? { sender } : {}) });
        const actual = readUnsignedHeader(head, sender);
        const { headerFrom, fromFields, envelopeFrom, results } = expected;
        expect(actual).toEqual({ headerFrom, fromFields, envelopeFrom, results, headers: { parsed: (expected.headers as { parsed: unknown }).parsed } });
      }
    }
  });

  it('keeps a parsed DKIM key between messages, and reads it afresh when DNS publishes another or revokes it', async () => {
    const envelope = { clientIp: '192.0.2.10', helo: 'mail.example.org', mailFrom: 'jane@example.org' };
    const first = Buffer.from(await sign(message('Jane <jane@example.org>'), signer));
    const resolver = zoneResolver(exampleZone(signer));
    expect((await authenticateMessage({ ...base, raw: first, envelope, resolver })).dkim).toBe('pass');
    const kept = cachedKeyCount();
    expect((await authenticateMessage({ ...base, raw: Buffer.from(await sign(message('Jane <jane@example.org>'), signer)), envelope, resolver })).dkim).toBe(
      'pass',
    );
    expect(cachedKeyCount()).toBe(kept);
    // The same selector with a new key: mail signed with the new key passes, with the old one it no longer does.
    const rotated = { ...makeSigner('example.org'), selector: signer.selector };
    const afterRotation = zoneResolver(exampleZone(rotated));
    expect(
      (await authenticateMessage({ ...base, raw: Buffer.from(await sign(message('Jane <jane@example.org>'), rotated)), envelope, resolver: afterRotation }))
        .dkim,
    ).toBe('pass');
    expect((await authenticateMessage({ ...base, raw: first, envelope, resolver: afterRotation })).dkim).not.toBe('pass');
    // Revoked (empty p=): the key parsed before counts for nothing.
    const revoked = zoneResolver({ ...exampleZone(signer), [`${signer.selector}._domainkey.example.org`]: { TXT: ['v=DKIM1; k=rsa; p='] } });
    expect((await authenticateMessage({ ...base, raw: first, envelope, resolver: revoked })).dkim).not.toBe('pass');
  });

  it('retries on a temporary DNS failure, and records temperror on the last attempt', async () => {
    const zone = { ...exampleZone(signer), 'example.org': { TXT: 'SERVFAIL' as const } };
    const raw = Buffer.from(message('Jane <jane@example.org>'));
    const input = { ...base, raw, envelope: { clientIp: '192.0.2.10', helo: 'mail.example.org', mailFrom: 'jane@example.org' }, resolver: zoneResolver(zone) };
    await expect(authenticateMessage(input)).rejects.toBeInstanceOf(TemporaryAuthError);
    const last = await authenticateMessage({ ...input, lastAttempt: true });
    expect(last.spf).toBe('temperror');
  });

  it('answers from a zone file: missing names do not exist, broken files name the problem', async () => {
    const dir = tempDir();
    const file = join(dir, 'zone.json');
    writeFileSync(file, JSON.stringify({ 'example.org': { MX: ['10 mx.example.org'], A: ['192.0.2.1'] } }));
    const resolve = loadZoneFile(file);
    expect(await resolve('EXAMPLE.ORG.', 'MX')).toEqual([{ priority: 10, exchange: 'mx.example.org' }]);
    await expect(resolve('example.org', 'TXT')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolve('nowhere.example', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    writeFileSync(file, '{"example.org": {"TXT": "v=spf1"}}');
    expect(() => loadZoneFile(file)).toThrow(ZoneFileError);
    expect(() => loadZoneFile(join(dir, 'missing.json'))).toThrow(/cannot read it/);
  });
});
