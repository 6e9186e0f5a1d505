// A group of messages through the pipeline a stage at a time gives each message
// what it gets alone, and one message's temporary failure stays its own.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemporaryAuthError } from '../../src/auth/index.ts';
import { zoneResolver } from '../../src/dns/index.ts';
import { runPipeline, runPipelineGroup, type PipelineResult } from '../../src/pipeline/stages.ts';
import { makeSigner, sign } from '../helpers/dkim.ts';
import { tempDir } from '../helpers/server.ts';

const envelope = {
  sessionId: 's',
  clientIp: '192.0.2.10',
  clientPort: 1,
  helo: 'mail.example.org',
  mailFrom: 'jane@example.org',
  rcptTo: ['careers@replies.acme.com'],
  tls: null,
};

function fixtureMessages(): Buffer[] {
  return ['fixtures/classify', 'fixtures/parse', 'fixtures/reply'].flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.eml'))
      .sort()
      .map((name) => readFileSync(join(dir, name))),
  );
}

describe('pipeline over a group of messages', () => {
  it('gives every message, signed or not, what it gets through the pipeline alone; a temporary DNS failure is that message’s alone', async () => {
    const good = makeSigner('example.org');
    const slow = makeSigner('slow.example');
    const signed = Buffer.from(
      await sign(
        'From: Jane <jane@example.org>\r\nTo: careers@replies.acme.com\r\nSubject: Re: Interview\r\nMessage-ID: <s1@example.org>\r\n\r\nTuesday works for me.\r\n',
        good,
      ),
    );
    const unlucky = Buffer.from(await sign('From: Sam <sam@slow.example>\r\nTo: careers@replies.acme.com\r\nSubject: Re: Offer\r\n\r\nThanks!\r\n', slow));
    const resolver = zoneResolver({
      'example.org': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] },
      'sel1._domainkey.example.org': { TXT: [good.record] },
      'sel1._domainkey.slow.example': { TXT: 'TIMEOUT' },
    });
    const deps = { resolver, mta: 'mx.mailroom.test', dataDir: tempDir() };
    const messages = [signed, ...fixtureMessages()];
    messages.splice(5, 0, unlucky);
    const inputs = messages.map((raw) => ({ raw, envelope, lastAttempt: false }));

    const grouped = await runPipelineGroup(inputs, deps, 4);
    const alone = await Promise.all(inputs.map((input) => runPipeline(input, deps).catch((err: unknown) => err as Error)));

    expect(grouped).toHaveLength(messages.length);
    expect(grouped[5]).toBeInstanceOf(TemporaryAuthError);
    expect(alone[5]).toBeInstanceOf(TemporaryAuthError);
    expect((grouped[0] as PipelineResult).processed.auth?.dkim).toBe('pass');
    const results = grouped.filter((outcome, i) => i !== 5);
    expect(results.every((outcome) => !(outcome instanceof Error))).toBe(true);
    expect(results).toEqual(alone.filter((outcome, i) => i !== 5));
    // The fixtures are of every kind: the group is not all alike.
    expect(new Set(results.map((outcome) => (outcome as PipelineResult).processed.classification.kind)).size).toBeGreaterThan(3);
  });

  it('takes an empty group', async () => {
    expect(await runPipelineGroup([], { resolver: zoneResolver({}), mta: 'mx.mailroom.test', dataDir: tempDir() }, 4)).toEqual([]);
  });
});
